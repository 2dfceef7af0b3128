"""The ports the sync layer talks to; adapters implement them, ``tests/fakes.py`` fakes them.

Flows (an outbound run, a trigger, a scheduled tick) are functions over these Protocols. The
records that cross them are the domain's (``app.domain``) or the small Structs below; no ORM
row and no wire Struct ever does.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, Protocol

import msgspec

from app.configuration.document import Schedule
from app.domain import records as r
from app.domain.config import SyncConfig
from app.domain.eligibility.documents import DocuWareIndex
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    ContactPayload,
    PersonPayload,
    PortalDocument,
    PortalNote,
    PortalObject,
    PortalObjectRole,
    PortalTeam,
    PortalTicket,
    PortalUnit,
    PortalUser,
)

System = Literal["production", "test"]
SYSTEMS: tuple[System, ...] = ("production", "test")
# ``partial``: some records failed, the rest went through; ``failed``: the run could not do
# its work (casavi or iX-Haus unreachable, authentication refused, configuration incomplete).
RunStatus = Literal["queued", "running", "succeeded", "partial", "failed"]
LinkState = Literal["pending", "sent", "deleted", "excluded", "error"]
ProtocolOutcome = Literal["sent", "deleted", "excluded", "error"]

# Every canonical record the portal takes (what the rules decide to transfer).
PortalRecord = (
    PortalObject
    | PortalUnit
    | PersonPayload
    | ContactPayload
    | PortalUser
    | PortalTeam
    | PortalObjectRole
    | r.TicketTypeRecord
    | r.TicketStatusRecord
    | r.TicketPriorityRecord
    | PortalTicket
    | PortalNote
)


# -- records that cross the ports ------------------------------------------------------------
class RunCounts(msgspec.Struct, frozen=True):
    """Records of a run by outcome: written to casavi (created, updated or removed), already
    up to date there, left out by a rule (with its reason), failed."""

    sent: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0


class SyncRunInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Rules L1/L2: one sync run as the API and the flows see it."""

    id: int
    system: System
    trigger: str
    scope: str
    status: RunStatus
    requested_by: str | None
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    sent: int
    unchanged: int
    excluded: int
    errors: int
    last_error: str | None


class RunClaim(msgspec.Struct, frozen=True):
    """A job's hold on a run: ``attempt`` is its owner token (heartbeat, release, finish)."""

    system: str
    attempt: int


class ProtocolLine(msgspec.Struct, frozen=True, kw_only=True):
    """Rule L3: what happened to one record in a run."""

    id: int
    key: RecordKey
    outcome: ProtocolOutcome
    reason_code: str | None
    message: str | None
    created_at: dt.datetime


class ProtocolPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a run's protocol: the lines after a cursor, and how many match in all."""

    lines: list[ProtocolLine]
    total: int
    next_cursor: int | None


class LedgerEntry(msgspec.Struct, frozen=True):
    """What the ledger knows about one record: what was last sent, and the outcome.

    ``attempts`` counts failed sends in a row; a record in ``error`` is tried again from
    ``next_attempt_at`` on (capped backoff)."""

    id: int
    fingerprint: str | None
    state: LinkState
    casavi_id: str | None
    reason_code: str | None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What happened to one record in this run (only records whose state changed)."""

    key: RecordKey
    state: LinkState
    fingerprint: str | None = None
    casavi_id: str | None = None
    reason_code: str | None = None
    error: str | None = None
    # With ``state="error"``: failed sends in a row including this one, and the next try.
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None


class PortalStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Rule S1 for one ticket: transferred (with portal status) or the reason it is not."""

    ticket_number: str
    transferred: bool
    portal_status: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None


class TicketPortalView(msgspec.Struct, frozen=True, kw_only=True):
    """Rules S1/S2 as stored: the portal field plus the last portal change."""

    ticket_number: str
    transferred: bool
    portal_status: str | None
    reason_code: str | None
    reason_text: str | None
    last_portal_change_at: dt.datetime | None
    last_portal_change: str | None
    updated_at: dt.datetime


class InboundSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the inbound flow reads from a system's configuration."""

    poll_seconds: int = 60
    callbacks_enabled: bool = True
    retention_days: int = 30
    # Two-way ticket field -> policy (app.domain.conflicts.Policy); missing = ixhaus_wins.
    conflict_policies: dict[str, str] = msgspec.field(default_factory=dict)


class SystemSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What a system's adapters are built from: one configuration version, secrets included.

    Only the composition roots' factories see this (it holds decrypted secrets).
    """

    system: System
    version: int
    active: bool
    config: SyncConfig
    casavi_base_url: str | None
    casavi_key: str | None
    casavi_secret: str | None
    ixhaus_url: str | None
    ixhaus_schema: str | None
    ixhaus_table_prefix: str
    ixhaus_table_names: dict[str, str]
    ixhaus_document_root: str | None = None
    docuware_base_url: str | None = None
    docuware_username: str | None = None
    docuware_organization: str | None = None
    docuware_cabinet_id: str | None = None
    docuware_password: str | None = None
    # Inbound (casavi -> iX-Haus): the callbacks' HMAC secret and the inbound settings.
    callback_secret: str | None = None
    inbound: InboundSettings = msgspec.field(default_factory=lambda: InboundSettings())

    def __repr__(self) -> str:
        return f"SystemSettings(system={self.system!r}, version={self.version})"


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


class CasaviMessageView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    ticket_id: str
    visibility: str  # public | internal (rule N2)
    author_type: str
    content: str
    written_at: dt.datetime


class CasaviAttachmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    ticket_id: str | None
    file_name: str
    size: int
    created_at: dt.datetime
    uploaded_by: str


class CasaviTickets(Protocol):
    """casavi's ticket side as the inbound flow reads it (and writes resolved fields)."""

    def changed_since(self, when: dt.datetime) -> AsyncIterator[CasaviTicketView]: ...
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


# -- the gateway's own state ------------------------------------------------------------------
class Ledger(Protocol):
    """Which iX-Haus record is which casavi record, and what was last sent (with L3)."""

    async def load(self, system: str, kind: EntityKind) -> dict[RecordKey, LedgerEntry]: ...
    async def entries(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        """The entries of a few records of any kinds (a trigger's ticket, note, references)."""
        ...

    async def save(
        self,
        system: str,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[RecordKey, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        """Write one batch of outcomes and their protocol entries in one commit."""
        ...


class LedgerLinks(Protocol):
    """Single-record look-ups and links in the ledger (the inbound flow)."""

    async def by_casavi_id(
        self, system: str, kind: EntityKind, casavi_id: str
    ) -> tuple[RecordKey, LedgerEntry] | None:
        """The iX-Haus record casavi knows as ``casavi_id`` (any state)."""
        ...

    async def entry(self, system: str, key: RecordKey) -> LedgerEntry | None: ...
    async def link(
        self, system: str, key: RecordKey, casavi_id: str, fingerprint: str | None
    ) -> None:
        """Record that casavi holds ``key`` as ``casavi_id`` (state sent), as of
        ``fingerprint`` (None: the next run sends it again)."""
        ...


class PortalStates(Protocol):
    """Rules S1/S2 per ticket."""

    async def save(self, system: str, states: Sequence[PortalStatus]) -> None: ...
    async def one(self, system: str, ticket_number: str) -> TicketPortalView | None: ...
    async def many(self, system: str, numbers: Sequence[str]) -> list[TicketPortalView]: ...


class Runs(Protocol):
    """Sync runs (rules L1–L3): requested, claimed, finished, listed."""

    async def request(
        self, system: str, *, trigger: str, requested_by: str | None
    ) -> tuple[SyncRunInfo, bool]:
        """Record a run, or return the one still queued or running: (run, created)."""
        ...

    async def fail(self, run_id: int, error: str) -> None: ...
    async def claim(self, run_id: int, *, stale_before: dt.datetime) -> RunClaim | None:
        """Take the run when it is queued, or running with no heartbeat since
        ``stale_before`` (its worker died); None when it may not be taken."""
        ...

    async def heartbeat(self, run_id: int, attempt: int) -> bool:
        """Refresh the claim's heartbeat; False when the claim was lost (taken over)."""
        ...

    async def release(self, run_id: int, attempt: int, error: str, *, sent: int = 0) -> bool:
        """Put a claimed run back to queued (interrupted; a next job continues it), with the
        records it has sent so far."""
        ...

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        counts: RunCounts,
        error: str | None,
        *,
        attempt: int | None = None,
    ) -> bool:
        """Record the outcome (only while ``attempt`` still holds the claim, when given)."""
        ...

    async def stale(self, before: dt.datetime) -> list[SyncRunInfo]:
        """Queued or running runs with no sign of life since ``before`` (to take over)."""
        ...

    async def get(self, run_id: int) -> SyncRunInfo | None: ...
    async def recent(
        self,
        system: str | None,
        limit: int,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[SyncRunInfo]:
        """Newest first; ``since``/``before`` bound the request time (rule L1's date filter)."""
        ...

    async def entries(
        self,
        run_id: int,
        *,
        outcome: str | None,
        entity: str | None,
        after: int,
        limit: int,
        offset: int = 0,
    ) -> ProtocolPage | None:
        """The run's protocol (L3) after the cursor ``after`` (skipping ``offset`` more: the
        console pages by number); None for an unknown run."""
        ...

    async def last_scheduled(self, system: str) -> dt.datetime | None: ...
    async def count_by_status(self) -> dict[tuple[str, str], int]:
        """(system, status) -> number of runs (metrics)."""
        ...


class Configs(Protocol):
    """The systems' configurations as the flows need them."""

    async def version(self, system: str) -> int: ...
    async def settings(self, system: str) -> SystemSettings:
        """The whole configuration, secrets decrypted (for building adapters only)."""
        ...

    async def schedules(self) -> list[tuple[str, Schedule]]:
        """(system, schedule) of every active system (rule C14)."""
        ...


class JobQueue(Protocol):
    """Where jobs go: arq on Redis, or the same functions in-process (embedded mode)."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """Queue ``function(*args)``; False when a job with ``job_id`` is queued or running."""
        ...

    async def ping(self) -> None:
        """Raise when the queue's backing server does not answer."""
        ...

    async def depth(self) -> int:
        """Jobs waiting to be picked up."""
        ...

    async def worker_seen(self) -> bool | None:
        """Whether a worker reported in recently; None when jobs run in this process."""
        ...

    async def close(self) -> None: ...


# -- both directions of tickets and notes (rules N1, N2, S2, conflicts) ----------------------
NoteOrigin = Literal["ixhaus", "casavi"]
ConflictSide = Literal["ixhaus", "casavi", "value"]


class NoteLink(msgspec.Struct, frozen=True, kw_only=True):
    """Which casavi message is which iX-Haus note, and who wrote it first (echo suppression)."""

    ticket_number: str
    ixhaus_note_id: str | None
    casavi_message_id: str | None
    origin: NoteOrigin


class NoteLinks(Protocol):
    async def by_ixhaus_note(self, system: str, note_id: str) -> NoteLink | None: ...
    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None: ...
    async def record(self, system: str, link: NoteLink) -> bool:
        """Store the link; False when one side of it is linked already (idempotent)."""
        ...

    async def record_many(self, system: str, links: Sequence[NoteLink]) -> dict[str, NoteLink]:
        """Store each link whose two sides are both unlinked (idempotent, in one commit);
        return the link now stored for each iX-Haus note named, by note id."""
        ...


class ConflictRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Both sides changed one ticket field since the last sync; the policy decided."""

    id: int
    system: str
    ticket_number: str
    field: str
    base_value: str | None
    ixhaus_value: str | None
    casavi_value: str | None
    policy: str
    resolution: str | None
    resolved_value: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime


class NewConflict(msgspec.Struct, frozen=True, kw_only=True):
    ticket_number: str
    field: str
    base_value: str | None
    ixhaus_value: str | None
    casavi_value: str | None
    policy: str
    # Set when the policy decided at once (ixhaus_wins/casavi_wins); None for "manual".
    resolution: str | None


class Conflicts(Protocol):
    """Conflicts and the base they are measured against: the last synced value per field."""

    async def base(self, system: str, ticket_number: str) -> dict[str, str | None]: ...
    async def set_base(
        self, system: str, ticket_number: str, fields: dict[str, str | None]
    ) -> None:
        """Merge ``fields`` into the ticket's base (fields not named keep their value)."""
        ...

    async def add(self, system: str, conflict: NewConflict) -> int: ...
    async def get(self, system: str, conflict_id: int) -> ConflictRecord | None: ...
    async def list(
        self, system: str, *, open_only: bool, limit: int, after_id: int = 0
    ) -> list[ConflictRecord]: ...
    async def resolve(
        self, system: str, conflict_id: int, *, side: ConflictSide, value: str | None, actor: str
    ) -> ConflictRecord | None:
        """Mark resolved (first resolution wins); None when no such conflict exists."""
        ...


class PortalActivity(Protocol):
    """Rule S2: when the last change in the portal happened and what it was."""

    async def record(self, system: str, ticket_number: str, at: dt.datetime, what: str) -> None:
        """Keep the latest activity (an older ``at`` never overwrites a newer one)."""
        ...

    async def reset(self, system: str, ticket_number: str, at: dt.datetime) -> bool:
        """Staff changed the ticket: clear both columns; False for an unknown ticket."""
        ...


# -- inbound (casavi -> iX-Haus): the inbox ----------------------------------------------------
InboxStatus = Literal["received", "done", "parked", "discarded"]


class NewInboxEvent(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str  # the callback's event id, or "poll:<ticket id>@<modifiedAt>"
    event_type: str
    ticket_ref: str
    occurred_at: dt.datetime
    payload: dict[str, Any]


class InboxEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    system: str
    external_id: str
    event_type: str
    ticket_ref: str | None
    occurred_at: dt.datetime | None
    received_at: dt.datetime
    payload: dict[str, Any]
    status: str
    attempts: int
    processed_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_error: str | None


class Inbox(Protocol):
    """Every inbound event, stored once, then processed by a job (the source of truth)."""

    async def add(self, system: str, events: Sequence[NewInboxEvent]) -> list[NewInboxEvent]:
        """Store the events not stored yet; return those (duplicates are left out)."""
        ...

    async def pending(self, system: str, ticket_ref: str) -> list[InboxEvent]:
        """The ticket's received events, in (occurredAt, id) order."""
        ...

    async def claim(self, system: str, ticket_ref: str, holder: str, seconds: float) -> bool: ...
    async def release(self, system: str, ticket_ref: str, holder: str) -> None: ...
    async def done(self, event_id: int) -> None: ...
    async def park(self, event_ids: Sequence[int], reason: str, retry_at: dt.datetime) -> None: ...
    async def unpark(self, system: str, ticket_ref: str) -> int:
        """Make the ticket's parked events pending again (their cause may be gone)."""
        ...

    async def get(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def list(
        self, system: str, *, status: str | None, limit: int, after_id: int = 0
    ) -> list[InboxEvent]: ...
    async def retry(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def discard(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def due(
        self, now: dt.datetime, older_than: dt.datetime
    ) -> builtins.list[tuple[str, str]]:
        """(system, ticket) with events to process: received before ``older_than``, or
        parked with their next attempt due (those are made pending again)."""
        ...

    async def purge(self, system: str, before: dt.datetime) -> int:
        """Delete processed and discarded events received before ``before`` (GDPR)."""
        ...

    async def backlog(self, system: str) -> tuple[int, dt.datetime | None]:
        """(how many events are parked, when the oldest unprocessed one was received)."""
        ...

    async def cursor(self, system: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(casavi modifiedAt seen last, when the last poll ran)."""
        ...

    async def set_cursor(
        self, system: str, modified_after: dt.datetime | None, polled_at: dt.datetime
    ) -> None: ...


class PayloadArchive(Protocol):
    """Rule C13's support archive: payloads sent per record and run (keep-payloads switch),
    purged after the retention period; P4 scrubs an anonymised person's traces."""

    async def keep(
        self, system: str, run_id: int | None, key: RecordKey, payload: bytes
    ) -> None: ...

    async def scrub(self, system: str, key: RecordKey) -> int:
        """Delete the record's archived payloads and blank its protocol messages."""
        ...

    async def purge(self, system: str, before: dt.datetime, *, batch: int = 1000) -> int:
        """Delete archived payloads and protocol entries older than ``before``, in batches
        (each its own short transaction, so runs are never blocked for long)."""
        ...
