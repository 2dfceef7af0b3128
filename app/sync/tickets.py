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

from collections.abc import AsyncIterator
from typing import Any, Literal

import msgspec

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.eligibility.notes import note_key
from app.domain.eligibility.tickets import decide_ticket, ticket_key
from app.domain.keys import EntityKind, RecordKey
from app.domain.reasons import Reason
from app.domain.records import TicketRecord, TicketTypeRecord
from app.errors import GatewayError, NotFound, SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound.notes import (
    TicketBookkeeping,
    TwoWay,
    is_board,
    link_before_send,
    note_author,
    outbound_note,
)
from app.sync.outbound.sources import _known_references as known_references
from app.sync.outbound.stages import StageCounts, run_stage
from app.sync.ports import LedgerEntry, Portal, PortalRecord, TicketPortalView
from app.sync.services import Services

PushOutcome = Literal["sent", "unchanged", "removed", "not_sent"]
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


async def push_ticket(services: Services, system: str, number: str) -> PushResult:
    """Push one ticket now (``POST …/tickets/{number}/sync``)."""
    ticket_no = _number(number, "Ticket")
    async with services.contexts.use(system) as ctx:
        _require_active(ctx)
        ticket = await ctx.source.ticket(ticket_no)
        if ticket is None:
            raise NotFound(f"Ticket {ticket_no} does not exist in iX-Haus.")
        key = ticket_key(ticket_no)
        known = await services.ledger.entries(system, [key, *_references(ticket)])
        decision = await _ticket_decision(ctx, ticket, known, services)
        portal = RecordingPortal(ctx.portal)
        counts = await run_stage(
            EntityKind.TICKET,
            _one(decision),
            system=system,
            run_id=None,
            ledger=services.ledger,
            portal=portal,
            known={k: e for k, e in known.items() if k == key},
            portal_states=services.portal_states,
            after_send=TicketBookkeeping(system, TwoWay.of(services), services.clock, staff=True),
        )
    # rule S2: staff changed the ticket (whatever the portal made of it).
    await services.portal_activity.reset(system, str(ticket_no), services.clock())
    portal.raise_failure()
    return PushResult(
        ticket_number=str(ticket_no),
        outcome=_outcome(counts),
        reason=_reason(decision, counts),
        casavi_id=key.reference_id if counts.sent else None,
        portal=await services.portal_states.one(system, str(ticket_no)),
    )


async def push_note(services: Services, system: str, number: str, note_id: str) -> PushResult:
    """Push one note of a ticket now (``POST …/tickets/{number}/notes/{note}/sync``)."""
    ticket_no = _number(number, "Ticket")
    note_no = _number(note_id, "Note")
    async with services.contexts.use(system) as ctx:
        _require_active(ctx)
        note = await ctx.source.note(note_no)
        ticket = await ctx.source.ticket(ticket_no)
        if ticket is None:
            raise NotFound(f"Ticket {ticket_no} does not exist in iX-Haus.")
        if note is None or note.ticket_no != ticket_no:
            raise NotFound(f"Ticket {ticket_no} has no note {note_no} in iX-Haus.")
        key, tkey = note_key(note_no), ticket_key(ticket_no)
        author = RecordKey.of(EntityKind.USER, note.author_user_no or "-")
        known = await services.ledger.entries(system, [key, tkey, author])
        ticket_entry, entry = known.get(tkey), known.get(key)
        decision: Decision[Any] = outbound_note(
            note,
            ticket_transferred=await _messageable(ctx, ticket, ticket_entry, services),
            from_portal=bool(note.source_ref)
            or (entry is not None and entry.reason_code == Reason.NOTE_FROM_PORTAL.value),
            author=note_author(note, _sent(known), ctx.config.ticket_user_no),
        )
        if entry is None or entry.state != "sent":
            decision = await link_before_send(decision, note, services.note_links, system)
        portal = RecordingPortal(ctx.portal)
        counts = await run_stage(
            EntityKind.NOTE,
            _one(decision),
            system=system,
            run_id=None,
            ledger=services.ledger,
            portal=portal,
            known={key: entry} if entry is not None else {},
        )
    if counts.sent:  # rule S2: a staff reply is a staff change of the ticket
        await services.portal_activity.reset(system, str(ticket_no), services.clock())
    portal.raise_failure()
    return PushResult(
        ticket_number=str(ticket_no),
        note_id=str(note_no),
        outcome=_outcome(counts),
        reason=_reason(decision, counts),
        casavi_id=key.reference_id if counts.sent else None,
        portal=await services.portal_states.one(system, str(ticket_no)),
    )


# -- helpers ---------------------------------------------------------------------------------
def _number(value: str, what: str) -> int:
    if not value.isdigit() or int(value) > MAX_NUMBER:
        raise NotFound(f"{what} {value} does not exist in iX-Haus.")
    return int(value)


def _require_active(ctx: SystemContext) -> None:
    if not ctx.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")


def _references(ticket: TicketRecord) -> list[RecordKey]:
    """The ledger keys a ticket may point at (only those casavi has are sent)."""
    keys = []
    if ticket.reporter_person_no:
        keys.append(RecordKey.person(ticket.reporter_person_no))
    if ticket.unit_no:
        keys.append(RecordKey.unit(ticket.object_no, ticket.unit_no))
    if ticket.responsible_user_no:
        keys.append(RecordKey.of(EntityKind.USER, ticket.responsible_user_no))
    if ticket.team_no:
        keys.append(RecordKey.of(EntityKind.TEAM, ticket.team_no))
    return keys


def _sent(entries: dict[RecordKey, LedgerEntry]) -> set[RecordKey]:
    return {key for key, entry in entries.items() if entry.state == "sent"}


async def _ticket_decision(
    ctx: SystemContext,
    ticket: TicketRecord,
    known: dict[RecordKey, LedgerEntry],
    services: Services,
) -> Decision[Any]:
    """The ticket's decision as a run makes it (``sources.ticket_decisions``)."""
    ticket_type = await _ticket_type(ctx, ticket.type_no)
    sent = _sent(known)
    first = ticket_key(ticket.number) not in sent
    decision = decide_ticket(ticket, ticket_type, ctx.config, services.clock(), first_export=first)
    if isinstance(decision, Transfer):
        record = known_references(decision.record, sent)
        return Transfer(key=decision.key, record=record, note=decision.note)
    return decision


async def _ticket_type(ctx: SystemContext, type_no: str) -> TicketTypeRecord | None:
    async for ticket_type in ctx.source.ticket_types():  # reference data: a few dozen rows
        if ticket_type.number == type_no:
            return ticket_type
    return None


async def _messageable(
    ctx: SystemContext, ticket: TicketRecord, entry: LedgerEntry | None, services: Services
) -> bool:
    """A note can follow its ticket when casavi has the ticket as a ticket (not as a
    bulletin-board post, T5) and the current configuration still transfers it."""
    if entry is None or entry.state != "sent":
        return False
    ticket_type = await _ticket_type(ctx, ticket.type_no)
    decision = decide_ticket(ticket, ticket_type, ctx.config, services.clock())
    return isinstance(decision, Transfer) and not is_board(decision.record)


async def _one(decision: Decision[Any]) -> AsyncIterator[Decision[Any]]:
    yield decision


def _outcome(counts: StageCounts) -> PushOutcome:
    if counts.sent:
        return "sent"
    if counts.removed:
        return "removed"
    if counts.unchanged:
        return "unchanged"
    return "not_sent"


def _reason(decision: Decision[Any], counts: StageCounts) -> Reason | None:
    if isinstance(decision, Exclude | Delete) and not counts.errors:
        return decision.reason
    return None


class RecordingPortal:
    """The context's portal, remembering a failure so the trigger can report it."""

    def __init__(self, portal: Portal) -> None:
        self._portal = portal
        self.failure: Exception | None = None

    async def put(
        self,
        key: RecordKey,
        record: PortalRecord,
        *,
        exists: bool = False,
        casavi_id: str | None = None,
    ) -> str:
        try:
            return await self._portal.put(key, record, exists=exists, casavi_id=casavi_id)
        except Exception as exc:
            self.failure = exc
            raise

    async def remove(self, key: RecordKey, *, casavi_id: str | None = None) -> None:
        try:
            await self._portal.remove(key, casavi_id=casavi_id)
        except Exception as exc:
            self.failure = exc
            raise

    def raise_failure(self) -> None:
        exc = self.failure
        if exc is None:
            return
        if isinstance(exc, GatewayError):
            raise exc
        raise SendFailed(f"casavi did not take the record: {type(exc).__name__}: {exc}") from exc
