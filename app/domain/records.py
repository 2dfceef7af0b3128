"""iX-Haus records as the rules see them: frozen msgspec Structs, one per interface entity.

These are *source* records (what the reader returns). Portal-side canonical records, built by
the eligibility functions, live in ``app.domain.portal``. Money is held in cents (int) so no
backend has to round-trip ``Decimal``; timestamps are UTC-aware, business dates are ``date``.

Records hold only scalars, tuples and other records, so they can never be part of a reference
cycle: they are not tracked by the garbage collector (``gc=False``). A run holds and makes
hundreds of thousands of them, and tracking them cost a no-change run of ``large`` about a
fifth of its time in collections. They encode as arrays (``array_like``), not as maps of
field names: the input digests hash every record a run reads (``sync.outbound.digests``),
and without the names a record mostly fits one block of the hash. Not the four casavi's
records embed (``Address``, ``BankAccount``, ``ObjectRight``, ``ObjectResponsible``): their
encoding is part of the fingerprints in the ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from app.domain.keys import TicketNumber

# How a ticket type behaves towards the portal (rules T4-T6).
PortalMode = Literal["normal", "locked", "bulletin_board", "object_notice"]
PartnerKind = Literal["co_resident", "contract_partner"]  # rule P5
StatusKind = Literal["open", "closed", "cancelled"]
# "casavi": an attachment a tenant added in the portal, recorded in iX-Haus by the gateway.
DocumentSource = Literal["ixhaus", "docuware", "casavi"]


class Address(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    street: str | None = None
    postcode: str | None = None
    city: str | None = None


class BankAccount(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    iban: str
    bic: str | None = None
    holder: str | None = None


class ObjectRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    group: str | None = None
    management_start: date | None = None
    address: Address = Address()


class UnitRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    object_no: str
    number: str
    description: str | None = None
    address: Address = Address()
    start: date | None = None
    end: date | None = None


class PersonTypeRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """A person type of iX-Haus's catalogue (C5), e.g. "MIETER", "EIGENTUEMER"."""

    number: str
    name: str


class PersonRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    person_type: str
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    bank_account: BankAccount | None = None
    anonymised: bool = False
    # Kept in the iX-Haus plus partner management (rule P5).
    partner_managed: bool = False


class PartnerRelation(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    person_no: str
    partner_no: str
    kind: PartnerKind


class ContractRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    object_no: str
    unit_no: str
    person_no: str
    rent_cents: int = 0
    deposit_cents: int = 0
    start: date
    end: date | None = None
    move_out: date | None = None


class OwnerRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    object_no: str
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address = Address()
    bank_account: BankAccount | None = None


class CaretakerRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    object_no: str
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address = Address()
    bank_account: BankAccount | None = None


class UserRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str  # three digits, e.g. "007" (rule C11)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    active: bool = True
    plus_rights: bool = True  # may work in iX-Haus plus Meldungen (rule C11)


class TeamRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    member_user_nos: tuple[str, ...] = ()


class ObjectRight(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    object_no: str
    user_no: str
    right: str = "read"


class ObjectResponsible(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    object_no: str
    user_no: str
    role: str | None = None


class TicketTypeRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    portal_mode: PortalMode = "normal"
    notify_unregistered_by_email: bool = False  # rule T7
    note_on_commissioning: bool = False  # rule T8
    note_template: str | None = None  # rule T8, placeholders like {ticket_no}


class TicketStatusRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    kind: StatusKind = "open"


class TicketPriorityRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    kind: str = "normal"


class TicketRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: TicketNumber
    type_no: str
    subject: str
    object_no: str
    reported_at: datetime
    description: str | None = None
    hint1: str | None = None
    hint2: str | None = None
    reporter_person_no: str | None = None
    trade: str | None = None
    unit_no: str | None = None
    technical_object: str | None = None
    responsible_user_no: str | None = None
    team_no: str | None = None
    due_from: date | None = None
    due_until: date | None = None
    status_no: str | None = None
    # The kind of the ticket's status record (joined by the reader): a status of kind
    # closed/cancelled ends the ticket even when iX-Haus left the date empty (rule T1).
    status_kind: StatusKind | None = None
    priority_no: str | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    modified_at: datetime | None = None
    created_by_user_no: str | None = None
    source_ref: str | None = None

    @property
    def is_open(self) -> bool:
        """Rule T1: open means neither closed nor cancelled - by date or by status."""
        return (
            self.closed_at is None
            and self.cancelled_at is None
            and self.status_kind not in ("closed", "cancelled")
        )

    @property
    def ended_at(self) -> datetime | None:
        return self.closed_at or self.cancelled_at


class NoteRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    id: int
    ticket_no: TicketNumber
    created_at: datetime
    content: str
    author_user_no: str | None = None
    internal: bool = False  # rule N2
    source_ref: str | None = None


class WorkOrderRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: int
    ticket_no: TicketNumber
    placed_at: datetime
    contractor: str | None = None
    description: str | None = None


class DocumentTypeRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    number: str
    name: str
    document_class: str | None = None  # rule D3: class wins over type if set up


class DocumentRecord(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    id: int
    type_no: str
    name: str
    created_at: datetime
    size_bytes: int
    object_no: str | None = None
    person_no: str | None = None
    ticket_no: TicketNumber | None = None  # rule D6
    content_location: str | None = None
    released: bool = True
    source: DocumentSource = "ixhaus"


class InboundTicket(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A ticket created by a tenant in casavi, to be written into iX-Haus (rule T10)."""

    source_ref: str  # casavi's id; makes the write idempotent
    type_no: str
    subject: str
    object_no: str
    reported_at: datetime
    description: str | None = None
    unit_no: str | None = None
    reporter_person_no: str | None = None
    priority_no: str | None = None


class InboundNote(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A public message written in casavi, to be stored as an iX-Haus note (N1, N2), with
    who wrote it: a casavi staff member's user number (the note's Erfasser; else the ticket
    user, C11), a tenant's iX-Haus person number where the contact maps to one, and the
    author's name as casavi shows it (staff always see who wrote a note)."""

    source_ref: str
    ticket_no: TicketNumber
    created_at: datetime
    content: str
    author_user_no: str | None = None
    author_person_no: str | None = None
    author_name: str | None = None


class InboundDocument(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An attachment a tenant added in casavi, as an iX-Haus ticket document (rule D6).

    The bytes stay in casavi: ``content_location`` points at casavi's document."""

    source_ref: str
    ticket_no: TicketNumber
    name: str
    created_at: datetime
    size_bytes: int
    content_location: str
