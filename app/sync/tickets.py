"""Push one ticket, or one note, now: the triggers of iX-Haus plus (staff just saved it).

Each trigger reads the record from iX-Haus, decides it with the system's current
configuration exactly as a run would (rules T1-T6, C3, C4, C8, N1, N2, echo suppression),
sends it through the system's context portal and writes the ledger, the protocol (L3,
without a run) and the S1 state. Pushing counts as a staff change of the ticket: the S2
columns are reset (rule S2). A ticket sent this way also gets its conflict base.

The answer says what was done (``sent``, ``unchanged``, ``removed``) or why not
(``not_sent`` with the S1 reason). A failure in casavi is recorded like in a run and raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Literal

import msgspec

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.eligibility.notes import note_key
from app.domain.eligibility.tickets import decide_ticket, ticket_key
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.domain.reasons import Reason
from app.domain.records import TicketRecord, TicketTypeRecord
from app.errors import GatewayError, NotFound, SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound.engine import SendEngine
from app.sync.outbound.notes import (
    TicketBookkeeping,
    is_board,
    link_before_send,
    note_author,
    outbound_note,
)
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.senders import PortalSender
from app.sync.outbound.sources import ticket_references
from app.sync.outbound.status import ticket_portal_status
from app.sync.policy import RunPolicy
from app.sync.ports import LedgerEntry, TicketPortalView
from app.sync.stores import identities_of
from app.sync.two_way import SystemTwoWay

# ``waiting``: not sent now - a record it names (its ticket, its author) is not settled in
# casavi yet; a run sends it once it is.
PushOutcome = Literal["sent", "unchanged", "removed", "waiting", "not_sent"]
# Ticket numbers and note ids are 32-bit integers in iX-Haus; larger ones cannot exist.
MAX_NUMBER = 2**31 - 1


class PushResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a trigger did: sent, unchanged or removed - or why not (``reason``, rule S1)."""

    ticket_number: str
    note_id: str | None = None
    outcome: PushOutcome
    reason: Reason | None = None
    casavi_id: str | None = None
    # Rules S1/S2 of the ticket after the push (None before any decision was stored).
    portal: TicketPortalView | None = None


class SendFailed(GatewayError):
    """casavi did not take the record (the ledger and the protocol say the same)."""

    status = 502
    code = "send-failed"
    title = "Sending to casavi failed"


async def push_ticket(
    ctx: SystemContext, number: str, *, policy: RunPolicy, clock: Callable[[], datetime]
) -> PushResult:
    """Push one ticket now (``POST …/tickets/{number}/sync``)."""
    ticket_no = TicketNumber(_number(number, "Ticket"))
    key = ticket_key(ticket_no)
    _require_active(ctx)
    stores, two_way = ctx.stores, _two_way(ctx)
    ticket = await ctx.source.ticket(ticket_no)
    if ticket is None:
        raise NotFound(f"Ticket {ticket_no} does not exist in iX-Haus.")
    known = await stores.ledger.entries([key, *_references(ticket)])
    engine = _engine(ctx, known, policy, clock)
    decision = await _ticket_decision(ctx, ticket, engine.ids, clock())
    tally = await engine.stage(
        EntityKind.TICKET,
        _one(decision),
        PortalSender(ctx.portal),
        known={k.ledger_key: e for k, e in known.items() if k == key},
        states=stores.portal_states,
        status_of=ticket_portal_status,
        after_send=TicketBookkeeping(two_way, clock, staff=True),
        retry_now=True,
    )
    # rule S2: staff changed the ticket (whatever the portal made of it).
    await two_way.portal_activity.reset(ticket_no, clock())
    raise_failure(engine)
    return PushResult(
        ticket_number=str(ticket_no),
        outcome=_outcome(tally),
        reason=_reason(decision, tally),
        casavi_id=engine.ids.casavi_id(key) if tally.sent else None,
        portal=await stores.portal_states.one(ticket_no),
    )


async def push_note(
    ctx: SystemContext,
    number: str,
    note_id: str,
    *,
    policy: RunPolicy,
    clock: Callable[[], datetime],
) -> PushResult:
    """Push one note of a ticket now (``POST …/tickets/{number}/notes/{note}/sync``): a staff
    reply reaches the ticket in casavi by the id casavi knows it by - the tenant's own ticket
    keeps casavi's id."""
    ticket_no = TicketNumber(_number(number, "Ticket"))
    note_no = _number(note_id, "Note")
    _require_active(ctx)
    stores, two_way = ctx.stores, _two_way(ctx)
    note = await ctx.source.note(note_no)
    ticket = await ctx.source.ticket(ticket_no)
    if ticket is None:
        raise NotFound(f"Ticket {ticket_no} does not exist in iX-Haus.")
    if note is None or note.ticket_no != ticket_no:
        raise NotFound(f"Ticket {ticket_no} has no note {note_no} in iX-Haus.")
    key, tkey = note_key(note_no), ticket_key(ticket_no)
    author = RecordKey.of(EntityKind.USER, note.author_user_no or "-")
    ticket_user = RecordKey.of(EntityKind.USER, ctx.config.ticket_user_no or "-")
    known = await stores.ledger.entries([key, tkey, author, ticket_user])
    engine = _engine(ctx, known, policy, clock)
    if ticket.source_ref and not engine.ids.holds(tkey):
        engine.ids.adopt(tkey, ticket.source_ref)  # a tenant's ticket: casavi's id
    entry = known.get(key)
    decision: Decision[Any] = outbound_note(
        note,
        ticket_transferred=await _messageable(ctx, ticket, engine.ids, clock()),
        from_portal=bool(note.source_ref)
        or (entry is not None and entry.reason_code == Reason.NOTE_FROM_PORTAL.value),
        author=note_author(note, engine.ids, ctx.config.ticket_user_no),
    )
    if entry is None or entry.state != "sent":
        decision = await link_before_send(decision, note, two_way.note_links)
    tally = await engine.stage(
        EntityKind.NOTE,
        _one(decision),
        PortalSender(ctx.portal),
        known={key.ledger_key: entry} if entry is not None else {},
        retry_now=True,
    )
    if tally.sent:  # rule S2: a staff reply is a staff change of the ticket
        await two_way.portal_activity.reset(ticket_no, clock())
    raise_failure(engine)
    return PushResult(
        ticket_number=str(ticket_no),
        note_id=str(note_no),
        outcome=_outcome(tally),
        reason=_reason(decision, tally),
        casavi_id=engine.ids.casavi_id(key) if tally.sent else None,
        portal=await stores.portal_states.one(ticket_no),
    )


def _engine(
    ctx: SystemContext,
    known: dict[RecordKey, LedgerEntry],
    policy: RunPolicy,
    clock: Callable[[], datetime],
) -> SendEngine:
    """A trigger's engine: the identity map of the records it names."""
    return SendEngine(
        run_id=None,
        ledger=ctx.stores.ledger,
        ids=identities_of(known),
        policy=policy,
        clock=clock,
    )


def raise_failure(engine: SendEngine) -> None:
    """casavi refused the record: the ledger and the protocol say so; the caller hears it
    (a trigger's or a re-send's answer)."""
    exc = engine.last_failure
    if exc is None:
        return
    if isinstance(exc, GatewayError):
        raise exc
    raise SendFailed(f"casavi did not take the record: {type(exc).__name__}: {exc}") from exc


# -- helpers ---------------------------------------------------------------------------------
def _number(value: str, what: str) -> int:
    """A number from the API's path (text), or ``NotFound``."""
    if not value.isdigit() or int(value) > MAX_NUMBER:
        raise NotFound(f"{what} {value} does not exist in iX-Haus.")
    return int(value)


def _require_active(ctx: SystemContext) -> None:
    if not ctx.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")


def _two_way(ctx: SystemContext) -> SystemTwoWay:
    """The two-way stores a trigger keeps up to date (every composition root gives them)."""
    if ctx.stores.two_way is None:
        raise SyncNotPossible("This process keeps no two-way state; triggers are not possible.")
    return ctx.stores.two_way


def _references(ticket: TicketRecord) -> list[RecordKey]:
    """The ledger keys a ticket names in casavi (only those casavi holds are sent)."""
    keys = [
        RecordKey.of(EntityKind.OBJECT, ticket.object_no),
        RecordKey.of(EntityKind.TICKET_TYPE, ticket.type_no),
    ]
    if ticket.status_no:
        keys.append(RecordKey.of(EntityKind.TICKET_STATUS, ticket.status_no))
    if ticket.priority_no:
        keys.append(RecordKey.of(EntityKind.TICKET_PRIORITY, ticket.priority_no))
    if ticket.reporter_person_no:
        keys.append(RecordKey.person(ticket.reporter_person_no))
    if ticket.unit_no:
        keys.append(RecordKey.unit(ticket.object_no, ticket.unit_no))
    if ticket.responsible_user_no:
        keys.append(RecordKey.of(EntityKind.USER, ticket.responsible_user_no))
    if ticket.team_no:
        keys.append(RecordKey.of(EntityKind.TEAM, ticket.team_no))
    return keys


async def _ticket_decision(
    ctx: SystemContext, ticket: TicketRecord, ids: IdentityMap, now: datetime
) -> Decision[Any]:
    """The ticket's decision as a run makes it (``sources.ticket_decisions``)."""
    key = ticket_key(ticket.number)
    if ticket.source_ref and not ids.holds(key):
        ids.adopt(key, ticket.source_ref)  # a tenant's ticket keeps casavi's id
    ticket_type = await _ticket_type(ctx, ticket.type_no)
    first = not ids.holds(key)
    decision = decide_ticket(ticket, ticket_type, ctx.config, now, first_export=first)
    if isinstance(decision, Transfer):
        record = ticket_references(decision.record, ids)
        return Transfer(key=decision.key, record=record, note=decision.note)
    return decision


async def _ticket_type(ctx: SystemContext, type_no: str) -> TicketTypeRecord | None:
    async for ticket_type in ctx.source.ticket_types():  # reference data: a few dozen rows
        if ticket_type.number == type_no:
            return ticket_type
    return None


async def _messageable(
    ctx: SystemContext, ticket: TicketRecord, ids: IdentityMap, now: datetime
) -> bool:
    """A note can follow its ticket when casavi holds the ticket as a ticket (not as a
    bulletin-board post, T5) - or its state is unsettled (the note then waits for it) - and
    the current configuration still transfers it."""
    if not ids.named(ticket_key(ticket.number)):
        return False
    ticket_type = await _ticket_type(ctx, ticket.type_no)
    decision = decide_ticket(ticket, ticket_type, ctx.config, now)
    return isinstance(decision, Transfer) and not is_board(decision.record)


async def _one(decision: Decision[Any]) -> AsyncIterator[Decision[Any]]:
    yield decision


def _outcome(tally: Tally) -> PushOutcome:
    if tally.sent:
        return "sent"
    if tally.removed:
        return "removed"
    if tally.still_excluded:
        return "not_sent"  # still left out, for the reason it says
    if tally.unchanged:
        return "unchanged"
    if tally.waiting:
        return "waiting"
    return "not_sent"


def _reason(decision: Decision[Any], tally: Tally) -> Reason | None:
    if tally.waiting:
        return Reason.WAITING_FOR_PARENT
    if isinstance(decision, Exclude | Delete) and not tally.errors:
        return decision.reason
    return None
