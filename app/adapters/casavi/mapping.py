"""Canonical portal records -> casavi wire Structs (the one place the two shapes meet).

Every id a wire Struct carries - the record's own and every record it names (a unit's
property, a contract's unit, a ticket's reporter, a message's author) - comes from the
identity map (``app.domain.identity.IdentityMap``): the reference id derived from the iX-Haus
number for a record born in iX-Haus (``RecordKey.reference_id``), the id casavi gave a record
born there (a tenant's ticket). ``ids.parent`` raises ``ParentUnsettled`` for a record casavi
may not hold, before anything is sent. Nobody else builds a casavi id.
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
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
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


def _object(ids: IdentityMap, object_no: str) -> str:
    return ids.parent(RecordKey.of(EntityKind.OBJECT, object_no))


def _optional(ids: IdentityMap, kind: EntityKind, number: str | None) -> str | None:
    return None if number is None else ids.parent(RecordKey.of(kind, number))


def _unit(ids: IdentityMap, object_no: str, unit_no: str | None) -> str | None:
    return None if unit_no is None else ids.parent(RecordKey.unit(object_no, unit_no))


def _at_midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def to_property(obj: PortalObject, ref: str, ids: IdentityMap) -> PropertyWrite:
    # M4: number, name, group, start of management, address. Rights and persons responsible
    # are casavi responsibilities, which casavi derives from the staff's assignments: they
    # are written with the users (``to_staff``), under the roles of ``to_object_role``.
    address = obj.address
    return PropertyWrite(
        id=ref,
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


def to_unit(unit: PortalUnit, ref: str, ids: IdentityMap) -> UnitWrite:
    return UnitWrite(  # M5
        id=ref,
        property_id=_object(ids, unit.object_no),
        number=unit.number,
        description=unit.description,
        address=", ".join(p for p in (unit.address.street, unit.address.city) if p) or None,
        start_date=_at_midnight(unit.contract_start or unit.start),
        end_date=_at_midnight(unit.contract_end or unit.end),
    )


def to_contact(payload: PersonPayload, ref: str, ids: IdentityMap) -> ContactWrite:
    person: PortalPerson = payload.person
    bank = person.bank_account
    return ContactWrite(  # P6: names, salutation, e-mail, phone, bank account; nothing else
        id=ref,
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
                property_id=_object(ids, c.object_no),
                unit_id=_unit(ids, c.object_no, c.unit_no),
                start_date=_at_midnight(c.start),
                end_date=_at_midnight(c.end),
                rent=c.rent_cents / 100,
                deposit=c.deposit_cents / 100,
            )
            for c in payload.contracts
        ],
    )


def to_ticket(ticket: PortalTicket, ref: str, ids: IdentityMap) -> TicketCreate:
    return TicketCreate(  # T3
        id=ref,
        number=str(ticket.number),
        ticket_type_id=ids.parent(RecordKey.of(EntityKind.TICKET_TYPE, ticket.type_no)),
        subject=ticket.subject,
        property_id=_object(ids, ticket.object_no),
        description=ticket.description,
        hint1=ticket.hint1,
        hint2=ticket.hint2,
        reporter_contact_id=_optional(ids, EntityKind.PERSON, ticket.reporter_person_no),
        trade=ticket.trade,
        reported_at=ticket.reported_at,
        unit_id=_unit(ids, ticket.object_no, ticket.unit_no),
        technical_object=ticket.technical_object,
        responsible_staff_id=_optional(ids, EntityKind.USER, ticket.responsible_user_no),
        responsible_role_id=_optional(ids, EntityKind.TEAM, ticket.team_no),
        due_from=_at_midnight(ticket.due_from),
        due_until=_at_midnight(ticket.due_until),
        status_id=_optional(ids, EntityKind.TICKET_STATUS, ticket.status_no),
        priority_id=_optional(ids, EntityKind.TICKET_PRIORITY, ticket.priority_no),
        object_wide=ticket.audience == "object",  # T6
        # T7 (inferred): casavi e-mails the ticket's contacts without a portal account when
        # the type asks for it; portal users it notifies itself. The gateway does not know
        # who registered in casavi, casavi does - so the decision per contact is casavi's.
        notify_unregistered_by_email=ticket.notify_unregistered_by_email,
    )


def to_owner_or_caretaker(payload: ContactPayload, ref: str, ids: IdentityMap) -> ContactWrite:
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
        contracts=[
            Contract(type=kind, property_id=_object(ids, o), unit_id=None)
            for o in payload.object_nos
        ],
    )


def to_staff(user: PortalUser, ref: str, ids: IdentityMap) -> StaffWrite:
    if not user.email:
        raise ValueError(f"user {user.number} has no e-mail address; casavi staff need one")
    return StaffWrite(  # M3
        id=ref,
        last_name=user.last_name or user.number,
        first_name=user.first_name,
        email=user.email,
        telephone=user.phone,
        # M4 (object rights, persons responsible) and M7 (team membership): casavi shows a
        # property's responsibilities from these per-property role assignments.
        responsibilities=[
            StaffAssignment(property_id=_object(ids, a.object_no), role_id=ids.parent(a.role))
            for a in user.assignments
        ],
    )


def to_role(team: PortalTeam, ref: str, ids: IdentityMap) -> StaffRoleWrite:
    # M7: teams are casavi staff roles; their members are the users assigned in the role
    # (see ``to_staff``), per property.
    return StaffRoleWrite(id=ref, name=team.name)


def to_object_role(role: PortalObjectRole, ref: str, ids: IdentityMap) -> StaffRoleWrite:
    """M4: the staff role an object right or a person responsible is shown under."""
    return StaffRoleWrite(id=ref, name=role.name, visible_in_portal=role.category == "responsible")


def _staff(ids: IdentityMap, user_no: str) -> str:
    return ids.parent(RecordKey.of(EntityKind.USER, user_no))


def to_ticket_message(
    note: PortalNote, ref: str, author_user_no: str, ids: IdentityMap
) -> tuple[str, TicketMessageCreate]:
    """N1 and T8: a public message on its ticket, at the note's time: the ticket's casavi
    id (a tenant's ticket keeps casavi's) and the message. Public always (N2: internal notes
    never get here)."""
    ticket = ids.parent(RecordKey.ticket(note.ticket_no))
    return ticket, TicketMessageCreate(
        id=ref,
        author_id=_staff(ids, author_user_no),
        visibility="public",
        content=note.content,
        written_at=note.created_at,
    )


def to_ticket_update(ticket: PortalTicket, ref: str, ids: IdentityMap) -> TicketUpdate:
    """The whole ticket as a PATCH (casavi changes tickets by PATCH, never by PUT)."""
    created = to_ticket(ticket, ref, ids)
    return TicketUpdate(**{name: getattr(created, name) for name in TicketUpdate.__struct_fields__})


def to_post(ticket: PortalTicket, ref: str, author_id: str | None, ids: IdentityMap) -> PostWrite:
    # T5: a house notice goes to the bulletin board, without status.
    author = ticket.responsible_user_no or author_id
    if author is None:
        raise ValueError(f"house notice {ticket.number} has no author (set the ticket user)")
    return PostWrite(
        id=ref,
        property_id=_object(ids, ticket.object_no),
        author_id=_staff(ids, author),
        title=ticket.subject,
        content=ticket.description or ticket.subject,
    )


def to_ticket_type(record: TicketTypeRecord, ref: str, ids: IdentityMap) -> TicketTypeWrite:
    return TicketTypeWrite(  # T9 (T4 lock types never get here)
        id=ref,
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


def to_status(record: TicketStatusRecord, ref: str, ids: IdentityMap) -> TicketStatusWrite:
    return TicketStatusWrite(id=ref, name=record.name, type=_STATUS[record.kind])


def to_priority(record: TicketPriorityRecord, ref: str, ids: IdentityMap) -> TicketPriorityWrite:
    kind = _PRIORITY.get(record.kind.lower(), "NORMAL")
    return TicketPriorityWrite(id=ref, name=record.name, type=kind)
