"""The external systems as the flows see them: iX-Haus, casavi, DocuWare."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import msgspec

from app.domain import records as r
from app.domain.eligibility.documents import DocuWareIndex
from app.domain.identity import IdentityMap
from app.domain.keys import RecordKey, TicketNumber
from app.domain.portal import (
    PortalDocument,
)
from app.sync.ports.records import (
    PortalRecord,
    Presence,
)


# -- the external systems ---------------------------------------------------------------------
class IxhausSource(Protocol):
    """iX-Haus as the rules read it: every interface table, streamed."""

    def objects(self) -> AsyncIterator[r.ObjectRecord]: ...
    def units(self) -> AsyncIterator[r.UnitRecord]: ...
    def persons(self) -> AsyncIterator[r.PersonRecord]: ...
    def partner_relations(self) -> AsyncIterator[r.PartnerRelation]: ...
    def contracts(self) -> AsyncIterator[r.ContractRecord]: ...
    def owners(self) -> AsyncIterator[r.OwnerRecord]: ...
    def caretakers(self) -> AsyncIterator[r.CaretakerRecord]: ...
    def users(self) -> AsyncIterator[r.UserRecord]: ...
    def teams(self) -> AsyncIterator[r.TeamRecord]: ...
    def object_rights(self) -> AsyncIterator[r.ObjectRight]: ...
    def object_responsibles(self) -> AsyncIterator[r.ObjectResponsible]: ...
    def ticket_types(self) -> AsyncIterator[r.TicketTypeRecord]: ...
    def ticket_statuses(self) -> AsyncIterator[r.TicketStatusRecord]: ...
    def ticket_priorities(self) -> AsyncIterator[r.TicketPriorityRecord]: ...
    def tickets(
        self,
        *,
        modified_since: dt.datetime | None = None,
        object_nos: Sequence[str] | None = None,
    ) -> AsyncIterator[r.TicketRecord]: ...
    def notes(self) -> AsyncIterator[r.NoteRecord]: ...
    async def ticket(self, number: int) -> r.TicketRecord | None:
        """One ticket by its number (a trigger from iX-Haus plus); None when unknown."""
        ...

    async def note(self, note_id: int) -> r.NoteRecord | None:
        """One note by its id (a trigger from iX-Haus plus); None when unknown."""
        ...

    def work_orders(self) -> AsyncIterator[r.WorkOrderRecord]: ...
    def document_types(self) -> AsyncIterator[r.DocumentTypeRecord]: ...
    def documents(self) -> AsyncIterator[r.DocumentRecord]: ...


class IxhausWriter(Protocol):
    """Write-back into iX-Haus (T10, N1): idempotent by casavi's id (``source_ref``)."""

    async def insert_ticket(self, ticket: r.InboundTicket) -> TicketNumber: ...
    async def insert_note(self, note: r.InboundNote) -> int: ...
    async def insert_ticket_document(self, document: r.InboundDocument) -> int: ...
    async def ticket(self, number: int) -> r.TicketRecord | None: ...
    async def update_ticket_fields(self, number: int, fields: dict[str, str | None]) -> None:
        """Set two-way fields (names of ``app.domain.conflicts.TWO_WAY_FIELDS``) as text."""
        ...

    async def set_rating(
        self, number: int, stars: int, comment: str | None, at: dt.datetime
    ) -> None: ...
    async def note(self, note_id: int) -> r.NoteRecord | None: ...
    async def update_note(self, note_id: int, content: str) -> None:
        """Change a note's content (a tenant edited their message in casavi)."""
        ...


class CasaviTicketView(msgspec.Struct, frozen=True, kw_only=True):
    """A casavi ticket as the inbound flow reads it (casavi's reference ids, not ours)."""

    id: str
    origin: str
    ticket_type_id: str
    subject: str
    property_id: str
    modified_at: dt.datetime
    created_at: dt.datetime
    description: str | None = None
    unit_id: str | None = None
    reporter_contact_id: str | None = None
    status_id: str | None = None
    priority_id: str | None = None
    responsible_staff_id: str | None = None
    responsible_role_id: str | None = None
    due_from: dt.date | None = None
    due_until: dt.date | None = None
    visibility: str = "public"
    rating_stars: int | None = None
    rating_comment: str | None = None
    rated_at: dt.datetime | None = None
    # Set when casavi listed this ticket in a shape outside the contract: only ``id`` (and
    # ``modified_at`` where readable) can be trusted; processing it fails with this reason.
    deviation: str | None = None


class CasaviAttachmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    ticket_id: str | None
    file_name: str
    size: int
    created_at: dt.datetime
    uploaded_by: str


class CasaviMessageView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    ticket_id: str
    visibility: str  # public | internal (rule N2)
    author_type: str  # staff | contact | system
    content: str
    written_at: dt.datetime
    author_id: str | None = None  # casavi's id of the staff member or contact
    # casavi's own times: the ticket's modifiedAt becomes ``created_at`` (``edited_at``)
    # when the message is written (edited), so a poll can tell what moved the ticket.
    created_at: dt.datetime | None = None
    edited_at: dt.datetime | None = None
    # Documents sent with the message (a tenant's photo): read with the message itself.
    attachments: tuple[CasaviAttachmentView, ...] = ()


class CasaviTickets(Protocol):
    """casavi's ticket side as the inbound flow reads it (and writes resolved fields)."""

    def changed_since(self, when: dt.datetime) -> AsyncIterator[CasaviTicketView]: ...
    def server_now(self) -> dt.datetime | None:
        """casavi's own clock at the last ``changed_since`` (None if unknown)."""
        ...

    async def ticket(self, ticket_id: str) -> CasaviTicketView | None: ...
    async def message(self, ticket_id: str, message_id: str) -> CasaviMessageView | None: ...
    def public_messages(self, ticket_id: str) -> AsyncIterator[CasaviMessageView]: ...
    async def attachment(self, document_id: str) -> CasaviAttachmentView | None: ...
    def attachments(self, ticket_id: str) -> AsyncIterator[CasaviAttachmentView]: ...
    async def change_fields(self, ticket_id: str, fields: dict[str, str | None]) -> None:
        """Set two-way fields in casavi (values as iX-Haus holds them; references mapped)."""
        ...

    async def author_name(self, author_type: str, author_id: str) -> str | None:
        """The name casavi shows for a message's author (a contact or a staff member)."""
        ...


class PortalWrite(Protocol):
    """One prepared write to casavi: the record and every id it names are mapped already
    (no request yet); called with what the gateway knows of the record's presence, it
    writes and returns the id casavi knows the record by.

    ``presence``: ``new`` (never sent: create, and adopt what casavi turns out to hold),
    ``held`` (casavi has it: update in place) or ``unknown`` (a create may have happened
    unrecorded, or the gateway lost its state: look before writing)."""

    async def __call__(self, presence: Presence) -> str: ...


class Portal(Protocol):
    """Where canonical portal records go (casavi). Every write is idempotent by key, and
    every id a request names - the record's own and its parents' - comes from ``ids``."""

    def prepare(self, key: RecordKey, record: PortalRecord, ids: IdentityMap) -> PortalWrite:
        """Map the record for casavi; raises ``ParentUnsettled`` (before any request) when
        a record it names may not be in casavi."""
        ...

    async def remove(self, key: RecordKey, *, ids: IdentityMap) -> None:
        """Make sure casavi no longer shows the record (a missing one is fine)."""
        ...

    async def verify(self) -> None:
        """One authenticated request: raises when casavi refuses the credentials or cannot
        be reached (a run with nothing to send still proves its access)."""
        ...

    async def is_empty(self) -> bool:
        """casavi holds no record the gateway could have sent (one small read)."""
        ...


class DmsDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A DocuWare document as the rules see it: the record (``type_no`` holds DocuWare's
    document type text), the C9 index fields, and what says its content changed."""

    key: RecordKey
    record: r.DocumentRecord
    index: DocuWareIndex
    content_type: str = "application/octet-stream"
    version: str | None = None  # DocuWare's modification time


class DocuwareSource(Protocol):
    """The configured DocuWare file cabinet, searched with the configured filters (C9)."""

    def documents(self) -> AsyncIterator[DmsDocument]: ...
    async def document(self, document_id: int) -> DmsDocument: ...


class DocumentContents(Protocol):
    """Where a document's bytes come from (iX-Haus's document store, DocuWare)."""

    async def size(self, document: PortalDocument) -> int:
        """The content's size in bytes as the source has it now."""
        ...

    def chunks(self, document: PortalDocument) -> AsyncIterator[bytes]:
        """The content from its first byte, streamed; a fresh stream on every call."""
        ...


class DocumentPortal(Protocol):
    """Documents (rules D1-D6) go to casavi with their content streamed from the source.

    Separate from ``Portal`` because the record alone is not the whole write.
    """

    def prepare_document(
        self,
        key: RecordKey,
        record: PortalDocument,
        contents: DocumentContents,
        ids: IdentityMap,
    ) -> PortalWrite:
        """The document's upload: a document casavi holds already is adopted when it is
        the same (name, size, targets) and replaced only when it is not."""
        ...

    async def remove_document(self, key: RecordKey, *, ids: IdentityMap) -> None:
        """Make sure casavi no longer shows the document (D2; a missing one is fine)."""
        ...
