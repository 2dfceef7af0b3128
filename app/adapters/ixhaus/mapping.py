"""Row -> domain record conversions for the interface schema (one small function each).

Oracle returns DATE columns as ``datetime`` and booleans may come back as numbers from
views, so values are normalised here rather than in the rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row

from app.domain import records as r
from app.domain.keys import TicketNumber


def _date(value: Any) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def _req_date(value: Any) -> date:
    result = _date(value)
    if result is None:
        raise ValueError("required date is NULL")
    return result


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    ts: datetime = value
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts


def _req_ts(value: Any) -> datetime:
    result = _ts(value)
    if result is None:
        raise ValueError("required timestamp is NULL")
    return result


def _address(row: Row[Any]) -> r.Address:
    return r.Address(street=row.street, postcode=row.postcode, city=row.city)


def _bank(row: Row[Any]) -> r.BankAccount | None:
    if not row.iban:
        return None
    return r.BankAccount(iban=row.iban, bic=row.bic, holder=row.account_holder)


def object_record(row: Row[Any]) -> r.ObjectRecord:
    return r.ObjectRecord(
        number=row.object_no,
        name=row.name,
        group=row.object_group,
        management_start=_date(row.management_start),
        address=_address(row),
    )


def unit_record(row: Row[Any]) -> r.UnitRecord:
    return r.UnitRecord(
        object_no=row.object_no,
        number=row.unit_no,
        description=row.description,
        address=_address(row),
        start=_date(row.start_date),
        end=_date(row.end_date),
    )


def person_type_record(row: Row[Any]) -> r.PersonTypeRecord:
    return r.PersonTypeRecord(number=row.type_no, name=row.name)


def person_record(row: Row[Any]) -> r.PersonRecord:
    return r.PersonRecord(
        number=row.person_no,
        person_type=row.person_type,
        salutation=row.salutation,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        bank_account=_bank(row),
        anonymised=bool(row.anonymised),
        partner_managed=bool(row.partner_managed),
    )


def partner_relation(row: Row[Any]) -> r.PartnerRelation:
    return r.PartnerRelation(person_no=row.person_no, partner_no=row.partner_no, kind=row.kind)


def contract_record(row: Row[Any]) -> r.ContractRecord:
    return r.ContractRecord(
        number=row.contract_no,
        object_no=row.object_no,
        unit_no=row.unit_no,
        person_no=row.person_no,
        rent_cents=int(row.rent_cents),
        deposit_cents=int(row.deposit_cents),
        start=_req_date(row.start_date),
        end=_date(row.end_date),
        move_out=_date(row.move_out_date),
    )


def _contact_fields(row: Row[Any]) -> dict[str, Any]:
    # Owners (M1) and caretakers (M2) share one table shape.
    return {
        "number": row.person_no,
        "object_no": row.object_no,
        "salutation": row.salutation,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "phone": row.phone,
        "address": _address(row),
        "bank_account": _bank(row),
    }


def owner_record(row: Row[Any]) -> r.OwnerRecord:
    return r.OwnerRecord(**_contact_fields(row))


def caretaker_record(row: Row[Any]) -> r.CaretakerRecord:
    return r.CaretakerRecord(**_contact_fields(row))


def user_record(row: Row[Any]) -> r.UserRecord:
    return r.UserRecord(
        number=row.user_no,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone=row.phone,
        active=bool(row.active),
        plus_rights=bool(row.plus_rights),
    )


def object_right(row: Row[Any]) -> r.ObjectRight:
    return r.ObjectRight(object_no=row.object_no, user_no=row.user_no, right=row.right_kind)


def object_responsible(row: Row[Any]) -> r.ObjectResponsible:
    return r.ObjectResponsible(object_no=row.object_no, user_no=row.user_no, role=row.role)


def ticket_type_record(row: Row[Any]) -> r.TicketTypeRecord:
    return r.TicketTypeRecord(
        number=row.type_no,
        name=row.name,
        portal_mode=row.portal_mode,
        notify_unregistered_by_email=bool(row.notify_unregistered),
        note_on_commissioning=bool(row.note_on_commissioning),
        note_template=row.note_template,
    )


def status_record(row: Row[Any]) -> r.TicketStatusRecord:
    return r.TicketStatusRecord(number=row.status_no, name=row.name, kind=row.kind)


def priority_record(row: Row[Any]) -> r.TicketPriorityRecord:
    return r.TicketPriorityRecord(number=row.priority_no, name=row.name, kind=row.kind)


def ticket_record(row: Row[Any]) -> r.TicketRecord:
    return r.TicketRecord(
        number=TicketNumber(int(row.ticket_no)),
        type_no=row.type_no,
        subject=row.subject,
        object_no=row.object_no,
        reported_at=_req_ts(row.reported_at),
        description=row.description,
        hint1=row.hint1,
        hint2=row.hint2,
        reporter_person_no=row.reporter_person_no,
        trade=row.trade,
        unit_no=row.unit_no,
        technical_object=row.technical_object,
        responsible_user_no=row.responsible_user_no,
        team_no=row.team_no,
        due_from=_date(row.due_from),
        due_until=_date(row.due_until),
        status_no=row.status_no,
        status_kind=_status_kind(row),
        priority_no=row.priority_no,
        closed_at=_ts(row.closed_at),
        cancelled_at=_ts(row.cancelled_at),
        modified_at=_ts(row.modified_at),
        created_by_user_no=row.created_by_user_no,
        source_ref=row.source_ref,
    )


_STATUS_KINDS: frozenset[str] = frozenset(("open", "closed", "cancelled"))


def _status_kind(row: Row[Any]) -> r.StatusKind | None:
    # Joined from the status table; an unknown or missing status says nothing (T1).
    kind = getattr(row, "status_kind", None)
    kind = kind.strip().lower() if isinstance(kind, str) else None
    return kind if kind in _STATUS_KINDS else None  # type: ignore[return-value]


def note_record(row: Row[Any]) -> r.NoteRecord:
    return r.NoteRecord(
        id=int(row.note_id),
        ticket_no=TicketNumber(int(row.ticket_no)),
        created_at=_req_ts(row.created_at),
        content=row.content,
        author_user_no=row.author_user_no,
        internal=bool(row.internal),
        source_ref=row.source_ref,
    )


def work_order_record(row: Row[Any]) -> r.WorkOrderRecord:
    return r.WorkOrderRecord(
        number=int(row.order_no),
        ticket_no=TicketNumber(int(row.ticket_no)),
        placed_at=_req_ts(row.placed_at),
        contractor=row.contractor,
        description=row.description,
    )


def document_type_record(row: Row[Any]) -> r.DocumentTypeRecord:
    return r.DocumentTypeRecord(
        number=row.type_no, name=row.name, document_class=row.document_class
    )


def document_record(row: Row[Any]) -> r.DocumentRecord:
    return r.DocumentRecord(
        id=int(row.document_id),
        type_no=row.type_no,
        name=row.name,
        created_at=_req_ts(row.created_at),
        size_bytes=int(row.size_bytes),
        object_no=row.object_no,
        person_no=row.person_no,
        ticket_no=None if row.ticket_no is None else TicketNumber(int(row.ticket_no)),
        content_location=row.content_location,
        released=bool(row.released),
        source=row.source,
    )
