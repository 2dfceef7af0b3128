"""Canonical portal records: what the gateway sends for each entity (fields of domain.md).

These are the gateway's own canonical shapes, not casavi wire types (the casavi adapter maps
them). Fingerprints (``app.domain.fingerprint``) are taken over these records. Like the source
records they cannot form reference cycles and are not tracked by the garbage collector.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from app.domain.keys import RecordKey
from app.domain.records import Address, BankAccount, ObjectResponsible, ObjectRight, PortalMode


class PortalPerson(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    # P6: first name, last name, salutation, e-mail, phone, bank account - nothing else
    # (no balances, no bookings).
    number: str
    portal_user: bool  # P2
    anonymised: bool = False  # P4
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    bank_account: BankAccount | None = None


class PortalDocument(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    # D3: name, type (or class), creation date, content (only if released).
    id: int
    name: str
    document_type: str
    created_at: datetime
    object_no: str | None = None
    person_no: str | None = None
    ticket_no: int | None = None
    content_location: str | None = None
    size_bytes: int = 0
    content_type: str = "application/octet-stream"
    # What says "the content changed" without reading it: DocuWare's modification time (the
    # location holds its id); None for iX-Haus documents, whose location and size stand in.
    content_version: str | None = None


class PortalContact(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Owners (M1) and caretakers (M2)."""

    number: str
    role: Literal["owner", "caretaker"]
    object_no: str
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address = Address()
    bank_account: BankAccount | None = None


class ContactPayload(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An owner (M1) or caretaker (M2) as the portal sees it: one contact per person, with
    every enabled object it owns or looks after (iX-Haus keeps one row per object)."""

    contact: PortalContact
    object_nos: tuple[str, ...]


class PortalObjectRole(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """M4: the role under which an object right or a responsibility is shown in casavi."""

    category: Literal["right", "responsible"]
    label: str  # the right kind or the responsibility's role, as iX-Haus names it
    name: str  # what casavi shows


class PortalAssignment(msgspec.Struct, frozen=True, kw_only=True, order=True, gc=False):
    """One staff assignment: the user acts on the object in the role (M4) or team (M7)."""

    object_no: str
    role: RecordKey  # an OBJECT_ROLE or a TEAM key


class PortalUser(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: str  # M3
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    # M4 (object rights, persons responsible) and M7 (team membership), per object.
    assignments: tuple[PortalAssignment, ...] = ()


class PortalObject(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: str  # M4
    name: str
    group: str | None = None
    management_start: date | None = None
    address: Address = Address()
    rights: tuple[ObjectRight, ...] = ()
    responsibles: tuple[ObjectResponsible, ...] = ()


class PortalUnit(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    object_no: str  # M5
    number: str
    description: str | None = None
    address: Address = Address()
    start: date | None = None
    end: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None


class PortalContract(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: str  # M6
    object_no: str
    unit_no: str
    person_no: str
    rent_cents: int
    deposit_cents: int
    start: date
    end: date | None = None


class PortalTeam(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: str  # M7
    name: str
    member_user_nos: tuple[str, ...] = ()


Audience = Literal["reporter", "object"]


class PortalTicket(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    # T3 fields; T5 bulletin posts carry no status; T6 object notices go to the whole object.
    number: int
    kind: PortalMode
    audience: Audience
    type_no: str
    subject: str
    reported_at: datetime
    object_no: str
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
    priority_no: str | None = None
    closed: bool = False
    # T7: the ticket's type asks casavi to e-mail contacts that have no portal account.
    notify_unregistered_by_email: bool = False


class PortalNote(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: int  # N1: author, time, content
    ticket_no: int
    created_at: datetime
    content: str
    author_user_no: str | None = None


class PersonPayload(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A person as the portal sees it: the person (P6) with its contracts (M6).

    One record, so one fingerprint: a changed contract re-sends the person's contact.
    """

    person: PortalPerson
    contracts: tuple[PortalContract, ...]
