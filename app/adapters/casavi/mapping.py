"""Canonical portal records -> casavi wire Structs (the one place the two shapes meet).

Reference ids are ours and derived from iX-Haus numbers, stable forever (casavi's help
suggests the object number for a property and object + unit number for a unit); the one
codec is ``app.domain.keys.RecordKey``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Literal

from app.adapters.casavi.wire import Address as WireAddress
from app.adapters.casavi.wire import (
    ContactWrite,
    Contract,
    PropertyWrite,
    StaffAssignment,
    StaffRoleWrite,
    StaffWrite,
    UnitWrite,
)
from app.adapters.casavi.wire_tickets import (
    PostWrite,
    PriorityType,
    StatusType,
    TicketCreate,
    TicketMessageCreate,
    TicketPriorityWrite,
    TicketStatusWrite,
    TicketTypeWrite,
    TicketUpdate,
)
from app.domain.keys import RecordKey
from app.domain.portal import (
    ContactPayload,
    PersonPayload,
    PortalNote,
    PortalObject,
    PortalObjectRole,
    PortalPerson,
    PortalTeam,
    PortalTicket,
    PortalUnit,
    PortalUser,
)
from app.domain.records import TicketPriorityRecord, TicketStatusRecord, TicketTypeRecord


def unit_ref(object_no: str, unit_no: str) -> str:
    return RecordKey.unit(object_no, unit_no).reference_id


def _at_midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def to_property(obj: PortalObject) -> PropertyWrite:
    # M4: number, name, group, start of management, address. Rights and persons responsible
    # are casavi responsibilities, which casavi derives from the staff's assignments: they
    # are written with the users (``to_staff``), under the roles of ``to_object_role``.
    address = obj.address
    return PropertyWrite(
        id=obj.number,
        name=obj.name,
        number=obj.number,
        city=address.city,
        postal_code=address.postcode,
        country="DE",
        addresses=[WireAddress(street=address.street)] if address.street else [],
        custom_fields={
            "objectGroup": obj.group,
            "managementStart": obj.management_start.isoformat() if obj.management_start else None,
        },
    )


def to_unit(unit: PortalUnit) -> UnitWrite:
    return UnitWrite(  # M5
        id=unit_ref(unit.object_no, unit.number),
        property_id=unit.object_no,
        number=unit.number,
        description=unit.description,
        address=", ".join(p for p in (unit.address.street, unit.address.city) if p) or None,
        start_date=_at_midnight(unit.contract_start or unit.start),
        end_date=_at_midnight(unit.contract_end or unit.end),
    )


def to_contact(payload: PersonPayload) -> ContactWrite:
    person: PortalPerson = payload.person
    bank = person.bank_account
    return ContactWrite(  # P6: names, salutation, e-mail, phone, bank account; nothing else
        id=person.number,
        last_name=person.last_name or ("Anonymisiert" if person.anonymised else person.number),
        first_name=person.first_name,
        salutation=person.salutation,
        email=person.email,
        telephone=person.phone,
        custom_fields={
            "portalUser": person.portal_user,  # P2
            "anonymised": person.anonymised,  # P4
            "iban": bank.iban if bank else None,
            "bic": bank.bic if bank else None,
            "accountHolder": bank.holder if bank else None,
        },
        contracts=[
            Contract(  # M6
                type="RENTER",
                property_id=c.object_no,
                unit_id=unit_ref(c.object_no, c.unit_no),
                start_date=_at_midnight(c.start),
                end_date=_at_midnight(c.end),
                rent=c.rent_cents / 100,
                deposit=c.deposit_cents / 100,
            )
            for c in payload.contracts
        ],
    )


def to_ticket(ticket: PortalTicket) -> TicketCreate:
    return TicketCreate(  # T3
        id=str(ticket.number),
        number=str(ticket.number),
        ticket_type_id=ticket.type_no,
        subject=ticket.subject,
        property_id=ticket.object_no,
        description=ticket.description,
        hint1=ticket.hint1,
        hint2=ticket.hint2,
        reporter_contact_id=ticket.reporter_person_no,
        trade=ticket.trade,
        reported_at=ticket.reported_at,
        unit_id=unit_ref(ticket.object_no, ticket.unit_no) if ticket.unit_no else None,
        technical_object=ticket.technical_object,
        responsible_staff_id=ticket.responsible_user_no,
        responsible_role_id=ticket.team_no,
        due_from=_at_midnight(ticket.due_from),
        due_until=_at_midnight(ticket.due_until),
        status_id=ticket.status_no,
        priority_id=ticket.priority_no,
        object_wide=ticket.audience == "object",  # T6
        # T7 (inferred): casavi e-mails the ticket's contacts without a portal account when
        # the type asks for it; portal users it notifies itself. The gateway does not know
        # who registered in casavi, casavi does - so the decision per contact is casavi's.
        notify_unregistered_by_email=ticket.notify_unregistered_by_email,
    )


def to_owner_or_caretaker(payload: ContactPayload, ref: str) -> ContactWrite:
    """M1/M2: an owner or caretaker is a casavi contact with one contract per object.

    casavi documents OWNER and RENTER contracts on a unit. Inferred here: a contract may name
    the property alone (iX-Haus keeps owners and caretakers per object, not per unit), and
    CARETAKER is a contract type. The contact's reference id carries the role as a prefix
    (``RecordKey.reference_id``) so it never collides with the same person as a tenant.
    """
    contact = payload.contact
    bank = contact.bank_account
    kind: Literal["OWNER", "CARETAKER"] = "OWNER" if contact.role == "owner" else "CARETAKER"
    return ContactWrite(
        id=ref,
        last_name=contact.last_name or contact.number,
        first_name=contact.first_name,
        salutation=contact.salutation,
        email=contact.email,
        telephone=contact.phone,
        street=contact.address.street,
        postal_code=contact.address.postcode,
        city=contact.address.city,
        custom_fields={
            "role": contact.role,
            "ixhausPersonNo": contact.number,
            "iban": bank.iban if bank else None,
            "bic": bank.bic if bank else None,
            "accountHolder": bank.holder if bank else None,
        },
        contracts=[Contract(type=kind, property_id=o, unit_id=None) for o in payload.object_nos],
    )


def to_staff(user: PortalUser) -> StaffWrite:
    if not user.email:
        raise ValueError(f"user {user.number} has no e-mail address; casavi staff need one")
    return StaffWrite(  # M3
        id=user.number,
        last_name=user.last_name or user.number,
        first_name=user.first_name,
        email=user.email,
        telephone=user.phone,
        # M4 (object rights, persons responsible) and M7 (team membership): casavi shows a
        # property's responsibilities from these per-property role assignments.
        responsibilities=[
            StaffAssignment(property_id=a.object_no, role_id=a.role.reference_id)
            for a in user.assignments
        ],
    )


def to_role(team: PortalTeam) -> StaffRoleWrite:
    # M7: teams are casavi staff roles; their members are the users assigned in the role
    # (see ``to_staff``), per property.
    return StaffRoleWrite(id=team.number, name=team.name)


def to_object_role(role: PortalObjectRole, ref: str) -> StaffRoleWrite:
    """M4: the staff role an object right or a person responsible is shown under."""
    return StaffRoleWrite(id=ref, name=role.name, visible_in_portal=role.category == "responsible")


def to_commissioning_message(note: PortalNote, ref: str, author_id: str) -> TicketMessageCreate:
    """T8: the commissioning note as a public message on its ticket, at the order's time."""
    return TicketMessageCreate(
        id=ref,
        author_id=author_id,
        visibility="public",
        content=note.content,
        written_at=note.created_at,
    )


def to_ticket_update(ticket: PortalTicket) -> TicketUpdate:
    """The whole ticket as a PATCH (casavi changes tickets by PATCH, never by PUT)."""
    created = to_ticket(ticket)
    return TicketUpdate(**{name: getattr(created, name) for name in TicketUpdate.__struct_fields__})


def to_message(note: PortalNote, ref: str) -> TicketMessageCreate:
    """N1: a public iX-Haus note as a public ticket message, with its author and time.

    ``author_user_no`` is already resolved by the notes stage (the note's user when casavi
    has them as staff, else the ticket user, C11)."""
    if note.author_user_no is None:
        raise ValueError(f"note {note.id} has no author in casavi (set the ticket user, C11)")
    # Public, like a commissioning note (N2: internal notes never get here).
    return to_commissioning_message(note, ref, note.author_user_no)


def to_post(ticket: PortalTicket, author_id: str | None) -> PostWrite:
    # T5: a house notice goes to the bulletin board, without status.
    author = ticket.responsible_user_no or author_id
    if author is None:
        raise ValueError(f"house notice {ticket.number} has no author (set the ticket user)")
    return PostWrite(
        id=str(ticket.number),
        property_id=ticket.object_no,
        author_id=author,
        title=ticket.subject,
        content=ticket.description or ticket.subject,
    )


def to_ticket_type(record: TicketTypeRecord) -> TicketTypeWrite:
    return TicketTypeWrite(  # T9 (T4 lock types never get here)
        id=record.number,
        name=record.name,
        audience="property" if record.portal_mode == "object_notice" else "contact",
        tenant_creatable=record.portal_mode == "normal",  # T6: no tenant object notices
        locked=True,
        notify_unregistered_by_email=record.notify_unregistered_by_email,  # T7
    )


_STATUS: dict[str, StatusType] = {"open": "OPEN", "closed": "CLOSED", "cancelled": "CLOSED"}
_PRIORITY: dict[str, PriorityType] = {
    "low": "LOW",
    "normal": "NORMAL",
    "high": "HIGH",
    "urgent": "URGENT",
}


def to_status(record: TicketStatusRecord) -> TicketStatusWrite:
    return TicketStatusWrite(id=record.number, name=record.name, type=_STATUS[record.kind])


def to_priority(record: TicketPriorityRecord) -> TicketPriorityWrite:
    kind = _PRIORITY.get(record.kind.lower(), "NORMAL")
    return TicketPriorityWrite(id=record.number, name=record.name, type=kind)
