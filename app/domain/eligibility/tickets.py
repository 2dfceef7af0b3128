"""Tickets (Meldungen) and their reference data (rules T1-T9, C3, C4, C8, C11).

Reading of C3 + T1 used here (the seed is terse): on the first export only open tickets go
out (T1). Afterwards a ticket of a C3 object is transferred while it is open, or when it was
closed/cancelled on or after the start of the previous calendar year (so the portal learns of
the closure); tickets that ended before that boundary are excluded. C4 objects send their
complete history, closed tickets included, even on the first export.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from app.domain.calendar import local_today, on_or_after, start_of_previous_year
from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalNote, PortalTicket
from app.domain.reasons import Reason
from app.domain.records import (
    TicketPriorityRecord,
    TicketRecord,
    TicketStatusRecord,
    TicketTypeRecord,
    UserRecord,
    WorkOrderRecord,
)


def ticket_key(number: int) -> RecordKey:
    return RecordKey.ticket(number)


def to_portal_ticket(ticket: TicketRecord, ticket_type: TicketTypeRecord) -> PortalTicket:
    bulletin = ticket_type.portal_mode == "bulletin_board"
    shared = bulletin or ticket_type.portal_mode == "object_notice"
    return PortalTicket(
        number=ticket.number,
        kind=ticket_type.portal_mode,
        audience="object" if shared else "reporter",  # T6: object notices go to everybody
        type_no=ticket.type_no,
        subject=ticket.subject,
        reported_at=ticket.reported_at,
        object_no=ticket.object_no,
        description=ticket.description,
        hint1=ticket.hint1,
        hint2=ticket.hint2,
        reporter_person_no=ticket.reporter_person_no,
        trade=ticket.trade,
        unit_no=ticket.unit_no,
        technical_object=ticket.technical_object,
        responsible_user_no=ticket.responsible_user_no,
        team_no=ticket.team_no,
        due_from=ticket.due_from,
        due_until=ticket.due_until,
        status_no=None if bulletin else ticket.status_no,  # T5: no status on the board
        priority_no=ticket.priority_no,
        closed=not ticket.is_open,
        # T7: the type's option travels with the ticket; casavi knows which contacts have a
        # portal account and e-mails the others (portal users it notifies itself).
        notify_unregistered_by_email=ticket_type.notify_unregistered_by_email,
    )


def decide_ticket(
    ticket: TicketRecord,
    ticket_type: TicketTypeRecord | None,
    config: SyncConfig,
    now: datetime,
    *,
    first_export: bool = False,
) -> Decision[PortalTicket]:
    key = ticket_key(ticket.number)
    if not config.object_enabled(ticket.object_no):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)
    if ticket_type is None:
        return Exclude(key=key, reason=Reason.TICKET_TYPE_UNKNOWN)
    if ticket_type.portal_mode == "locked":
        return Exclude(key=key, reason=Reason.TICKET_TYPE_LOCKED)  # T4
    if config.teams_filtered() and ticket.team_no and ticket.team_no not in config.user_teams:
        return Exclude(key=key, reason=Reason.TEAM_NOT_ENABLED)  # T2: no team is fine
    if not ticket.is_open:
        if ticket_type.portal_mode == "bulletin_board":
            return Delete(key=key, reason=Reason.BULLETIN_CLOSED)  # T5
        if not config.full_history(ticket.object_no):  # C4 keeps everything
            if first_export:
                return Exclude(key=key, reason=Reason.TICKET_NOT_OPEN)  # T1
            ended = ticket.ended_at
            boundary = start_of_previous_year(now, config.timezone)
            if ended is not None and not on_or_after(ended, boundary):
                return Exclude(key=key, reason=Reason.TICKET_ENDED_BEFORE_PREVIOUS_YEAR)  # C3
    return Transfer(key=key, record=to_portal_ticket(ticket, ticket_type))


def decide_ticket_type(ticket_type: TicketTypeRecord) -> Decision[TicketTypeRecord]:
    """T9: reference data; the lock type (T4) is not offered in the portal."""
    key = RecordKey.of(EntityKind.TICKET_TYPE, ticket_type.number)
    if ticket_type.portal_mode == "locked":
        return Exclude(key=key, reason=Reason.TICKET_TYPE_LOCKED)
    return Transfer(key=key, record=ticket_type)


def decide_status(status: TicketStatusRecord) -> Decision[TicketStatusRecord]:
    return Transfer(key=RecordKey.of(EntityKind.TICKET_STATUS, status.number), record=status)  # T9


def decide_priority(priority: TicketPriorityRecord) -> Decision[TicketPriorityRecord]:
    return Transfer(
        key=RecordKey.of(EntityKind.TICKET_PRIORITY, priority.number), record=priority
    )  # T9


def inbound_ticket_type_reason(ticket_type: TicketTypeRecord | None) -> Reason | None:
    """T4/T5/T6: tenants may only create ordinary tickets (no notices, no locked types)."""
    if ticket_type is None:
        return Reason.TICKET_TYPE_UNKNOWN
    if ticket_type.portal_mode != "normal":
        return Reason.TICKET_TYPE_NOT_FOR_TENANTS
    return None


def notification_channel(
    ticket_type: TicketTypeRecord, *, portal_user: bool, email: str | None
) -> Literal["portal", "email", "none"]:
    """T7: portal users hear from casavi; others by e-mail if the type says so."""
    if portal_user:
        return "portal"
    if ticket_type.notify_unregistered_by_email and email:
        return "email"
    return "none"


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # unknown placeholders stay visible rather than failing


def commissioning_note(
    ticket: TicketRecord,
    ticket_type: TicketTypeRecord,
    order: WorkOrderRecord,
    tz: str = "Europe/Berlin",
) -> Transfer[PortalNote] | None:
    """T8: a portal note built from the type's template when a work order is placed.

    ``{placed_on}`` is the day of the order in the system's calendar (``tz``), not in UTC.
    """
    if not ticket_type.note_on_commissioning or ticket_type.portal_mode == "locked":
        return None
    template = ticket_type.note_template or "Ihre Meldung {ticket_no} wurde beauftragt."
    values = _Placeholders(
        ticket_no=str(ticket.number),
        subject=ticket.subject,
        contractor=order.contractor or "",
        order_no=str(order.number),
        placed_on=local_today(order.placed_at, tz).strftime("%d.%m.%Y"),
    )
    content = string.Formatter().vformat(template, (), values)
    note = PortalNote(
        id=order.number,
        ticket_no=ticket.number,
        created_at=order.placed_at,
        content=content,
        author_user_no=ticket.responsible_user_no,
    )
    return Transfer(key=RecordKey.of(EntityKind.WORK_ORDER_NOTE, order.number), record=note)


def decide_commissioning_note(
    ticket: TicketRecord,
    ticket_type: TicketTypeRecord | None,
    order: WorkOrderRecord,
    *,
    ticket_in_portal: bool,
    tz: str = "Europe/Berlin",
) -> Decision[PortalNote]:
    """T8 for one work order: its note goes to the portal as a message on the ticket.

    Only a ticket casavi has can carry it (a house notice on the board cannot, T5).
    """
    key = RecordKey.of(EntityKind.WORK_ORDER_NOTE, order.number)
    if not ticket_in_portal:
        return Exclude(key=key, reason=Reason.NOTE_TICKET_NOT_TRANSFERRED)
    if ticket_type is None or ticket_type.portal_mode == "bulletin_board":
        return Exclude(key=key, reason=Reason.COMMISSIONING_NOTE_NOT_CONFIGURED)
    note = commissioning_note(ticket, ticket_type, order, tz)
    if note is None:
        return Exclude(key=key, reason=Reason.COMMISSIONING_NOTE_NOT_CONFIGURED)
    return note


def ticket_user_reason(config: SyncConfig, users: Mapping[str, UserRecord]) -> Reason | None:
    """C11: the configured ticket user must exist, be active and have iX-Haus plus rights."""
    if config.ticket_user_no is None:
        return Reason.TICKET_USER_NOT_CONFIGURED
    user = users.get(config.ticket_user_no)
    if user is None or not user.active:
        return Reason.TICKET_USER_UNKNOWN
    if not user.plus_rights:
        return Reason.TICKET_USER_WITHOUT_RIGHTS
    return None
