"""Read-only views of tickets for the admin console: the S1 list (paged, filtered) and one
ticket's timeline (outbound sends, inbound events, notes both ways, conflicts). Plain
SELECTs by indexed columns on a pooled connection; nothing here writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.store.database import read_connection
from app.adapters.store.models import (
    EntityLink,
    FieldConflict,
    InboxEvent,
    NoteLink,
    ProtocolEntry,
    TicketPortalState,
)
from app.sync.ports import TicketPortalView

_FIELDS = TicketPortalView.__struct_fields__
_STATE = TicketPortalState
TIMELINE_ROWS = 100


@dataclass(frozen=True)
class TicketFilter:
    transferred: bool | None = None
    reason_code: str | None = None
    number: str | None = None  # digits: tickets whose number starts with them


async def ticket_list(
    engine: AsyncEngine, system: str, where: TicketFilter, *, offset: int, limit: int
) -> tuple[list[TicketPortalView], int]:
    """One page of the system's tickets (S1), by number, and how many match in all."""
    conditions = [_STATE.system == system]
    if where.transferred is not None:
        conditions.append(_STATE.transferred.is_(where.transferred))
    if where.reason_code:
        conditions.append(_STATE.reason_code == where.reason_code)
    if where.number:
        conditions.append(_STATE.ticket_number.startswith(where.number, autoescape=True))
    columns = [getattr(_STATE, name) for name in _FIELDS]
    async with read_connection(engine) as conn:
        total = await conn.scalar(select(func.count()).select_from(_STATE).where(*conditions))
        rows = (
            await conn.execute(
                select(*columns)
                .where(*conditions)
                .order_by(func.length(_STATE.ticket_number), _STATE.ticket_number)
                .offset(offset)
                .limit(limit)
            )
        ).all()
    views = [TicketPortalView(**dict(zip(_FIELDS, row, strict=True))) for row in rows]
    return views, int(total or 0)


async def reason_codes(engine: AsyncEngine, system: str) -> list[str]:
    """The reason codes the system's tickets have now (the list's filter)."""
    async with read_connection(engine) as conn:
        found = await conn.scalars(
            select(_STATE.reason_code)
            .where(_STATE.system == system, _STATE.reason_code.is_not(None))
            .distinct()
        )
        return sorted(code for code in found if code)


@dataclass(frozen=True)
class Moment:
    at: dt.datetime | None
    kind: str  # send | inbound | note | conflict
    what: str  # outcome, event type, origin or field
    detail: str | None = None
    reason_code: str | None = None
    reference: str | None = None


@dataclass
class Timeline:
    casavi_id: str | None = None
    link_state: str | None = None
    last_error: str | None = None
    moments: list[Moment] = field(default_factory=list)


async def ticket_timeline(engine: AsyncEngine, system: str, number: str) -> Timeline:
    """What happened to ticket ``number``, newest first (at most ``TIMELINE_ROWS`` each)."""
    key = f"ticket:{number}"
    timeline = Timeline()
    async with read_connection(engine) as conn:
        link = (
            await conn.execute(
                select(EntityLink.casavi_id, EntityLink.state, EntityLink.last_error).where(
                    EntityLink.system == system,
                    EntityLink.entity_type == "ticket",
                    EntityLink.ixhaus_key == key,
                )
            )
        ).first()
        if link is not None:
            timeline.casavi_id, timeline.link_state, timeline.last_error = link
        sends = await conn.execute(
            select(
                ProtocolEntry.created_at,
                ProtocolEntry.outcome,
                ProtocolEntry.message,
                ProtocolEntry.reason_code,
                ProtocolEntry.run_id,
            )
            .where(ProtocolEntry.system == system, ProtocolEntry.entity_key == key)
            .order_by(ProtocolEntry.id.desc())
            .limit(TIMELINE_ROWS)
        )
        for at, outcome, message, reason, run_id in sends:
            timeline.moments.append(
                Moment(at, "send", outcome, message, reason, str(run_id) if run_id else None)
            )
        if timeline.casavi_id:
            events = await conn.execute(
                select(InboxEvent.received_at, InboxEvent.event_type, InboxEvent.status)
                .where(InboxEvent.system == system, InboxEvent.ticket_ref == timeline.casavi_id)
                .order_by(InboxEvent.id.desc())
                .limit(TIMELINE_ROWS)
            )
            for at, event_type, status in events:
                timeline.moments.append(Moment(at, "inbound", event_type, status))
        notes = await conn.execute(
            select(NoteLink.created_at, NoteLink.origin, NoteLink.ixhaus_note_id)
            .where(NoteLink.system == system, NoteLink.ticket_number == number)
            .order_by(NoteLink.id.desc())
            .limit(TIMELINE_ROWS)
        )
        for at, origin, note_id in notes:
            timeline.moments.append(Moment(at, "note", origin, reference=note_id))
        conflicts = await conn.execute(
            select(FieldConflict.created_at, FieldConflict.field, FieldConflict.resolution)
            .where(FieldConflict.system == system, FieldConflict.entity_key == number)
            .order_by(FieldConflict.id.desc())
            .limit(TIMELINE_ROWS)
        )
        for at, name, resolution in conflicts:
            timeline.moments.append(Moment(at, "conflict", name, resolution))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    timeline.moments.sort(key=lambda moment: moment.at or epoch, reverse=True)
    return timeline
