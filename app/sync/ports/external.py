"""The external systems as the flows see them: iX-Haus, casavi, DocuWare."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

import msgspec

from app.domain import records as r
from app.domain.eligibility.documents import DocuWareIndex
from app.domain.keys import RecordKey
from app.domain.portal import (
    PortalDocument,
)
from app.sync.ports.records import (
    PortalRecord,
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

    async def insert_ticket(self, ticket: r.InboundTicket) -> int: ...
    async def insert_note(self, note: r.InboundNote) -> int: ...
    async def insert_ticket_document(self, document: r.InboundDocument) -> int: ...
    async def ticket(self, number: int) -> r.TicketRecord | None: ...
    async def update_ticket_fields(self, number: int, fields: dict[str, str | None]) -> None:
        """Set two-way fields (names of ``app.domain.conflicts.TWO_WAY_FIELDS``) as text."""
        ...

    async def set_rating(
        self, number: int, stars: int, comment: str | None, at: dt.datetime
    ) -> None: ...


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
    author_type: str
    content: str
    written_at: dt.datetime
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


class Portal(Protocol):
    """Where canonical portal records go (casavi). Every write is idempotent by key."""

    async def put(
        self,
        key: RecordKey,
        record: PortalRecord,
        *,
        exists: bool = False,
        casavi_id: str | None = None,
    ) -> str:
        """Create or update the record; return casavi's reference id for it.

        ``exists`` is the ledger's belief that casavi has the record (saves a round trip);
        ``casavi_id`` the id the ledger holds for it (a tenant's ticket keeps casavi's id).
        """
        ...

    async def remove(self, key: RecordKey, *, casavi_id: str | None = None) -> None:
        """Make sure casavi no longer shows the record (a missing one is fine); ``casavi_id``
        is the ledger's casavi id when it differs from ours (a ticket a tenant opened)."""
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

    Separate from ``Portal.put`` because the record alone is not the whole write.
    """

    async def put_document(
        self, key: RecordKey, record: PortalDocument, contents: DocumentContents, *, exists: bool
    ) -> str:
        """Upload (or replace) the document; idempotent by key; casavi's reference id."""
        ...

    async def remove_document(self, key: RecordKey) -> None:
        """Make sure casavi no longer shows the document (D2; a missing one is fine)."""
        ...
