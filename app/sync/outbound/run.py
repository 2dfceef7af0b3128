"""One outbound run of a system: its context's iX-Haus source -> the rules -> casavi.

Entity kinds go in dependency order: objects, units, persons, owners and caretakers (their
contracts name objects), teams and object roles, then users (their assignments name objects,
teams and roles: M4, M7), ticket reference data, tickets, the commissioning notes (messages on
tickets casavi has, T8), the public notes (N1/N2), and last the documents (D1-D6). Tickets and
documents are sent only with references casavi already has. With ``two_way`` (the gateway's
note links, bases and S2 columns) the run sends the public notes and keeps the ticket
bookkeeping (``outbound.notes``).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, cast

from app.domain.calendar import local_today
from app.domain.decisions import Decision
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import ContractRecord
from app.errors import SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound import documents, sources
from app.sync.outbound.archive import ArchivingPortal
from app.sync.outbound.notes import TicketBookkeeping, TicketKinds, TwoWay, run_notes_stage
from app.sync.outbound.stages import DEFAULT_POLICY, StageCounts, run_stage
from app.sync.policy import RunPolicy
from app.sync.ports import IxhausSource, Ledger, LedgerEntry, Portal, PortalStates, RunCounts

_REFERENCES = (EntityKind.TICKET_TYPE, EntityKind.TICKET_STATUS, EntityKind.TICKET_PRIORITY)
# Tickets may point at these; a reference casavi does not have is left out of the ticket.
_TICKET_REFERENCES = (EntityKind.PERSON, EntityKind.UNIT, EntityKind.USER, EntityKind.TEAM)


async def run_outbound(
    ctx: SystemContext,
    *,
    ledger: Ledger,
    portal_states: PortalStates,
    run_id: int | None,
    now: datetime,
    policy: RunPolicy = DEFAULT_POLICY,
    total: StageCounts | None = None,
    two_way: TwoWay | None = None,
    scope: Scope | None = None,
) -> RunCounts:
    """Run every stage; ``total`` (when given) is kept up to date as records are done, so a
    run that stops early still reports what it did. ``scope`` limits the run to some entity
    kinds, or to one record sent even if unchanged (a re-send)."""
    if not ctx.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")
    config = ctx.config
    once = _ContractsOnce(ctx.source)
    reader = cast(IxhausSource, once)
    # P3/C15, C10, M5: every date rule counts in the system's calendar (Europe/Berlin), not
    # in UTC - a run at 00:30 Berlin time is already on the next day.
    today = local_today(now, config.timezone)
    portal: Portal = ctx.portal
    if two_way is not None and two_way.archive is not None:
        portal = ArchivingPortal(
            ctx.portal,
            two_way.archive,
            system=ctx.system,
            run_id=run_id,
            keep_payloads=config.keep_payloads,
        )
    total = StageCounts() if total is None else total
    scope = Scope() if scope is None else scope
    send = functools.partial(
        run_stage,
        system=ctx.system,
        run_id=run_id,
        ledger=ledger,
        portal=portal,
        policy=policy,
        counts=total,
        force=scope.record,
    )

    async def stage(kind: EntityKind, decisions: AsyncIterator[Decision[Any]], **kw: Any) -> None:
        if scope.covers(kind):
            await send(kind, scope.pick(decisions), **kw)
        scope.tell(kind)

    master: list[tuple[EntityKind, AsyncIterator[Decision[Any]]]] = [
        (EntityKind.OBJECT, sources.object_decisions(reader, config)),
        (EntityKind.UNIT, sources.unit_decisions(reader, config, today)),
        (EntityKind.PERSON, sources.person_decisions(reader, config, today)),
        (EntityKind.OWNER, sources.contact_decisions(reader, config, EntityKind.OWNER)),
        (EntityKind.CARETAKER, sources.contact_decisions(reader, config, EntityKind.CARETAKER)),
        (EntityKind.TEAM, sources.team_decisions(reader, config)),
        (EntityKind.OBJECT_ROLE, sources.object_role_decisions(reader)),
        (EntityKind.USER, sources.user_decisions(reader, config)),
        *((kind, sources.reference_decisions(reader, kind)) for kind in _REFERENCES),
    ]
    for kind, decisions in master:
        await stage(kind, decisions)
    once.release()

    kinds = TicketKinds()  # which tickets are bulletin-board posts (T5), for the notes
    if any(
        scope.covers(k) for k in (EntityKind.TICKET, EntityKind.WORK_ORDER_NOTE, EntityKind.NOTE)
    ):
        known_tickets = await ledger.load(ctx.system, EntityKind.TICKET)
        in_portal = await ledger.sent_keys(ctx.system, _TICKET_REFERENCES)
        work_orders = await sources.load_work_orders(reader)
        tickets = sources.ticket_decisions(
            reader,
            config,
            now,
            sent=_sent(known_tickets),
            in_portal=in_portal,
            work_orders=work_orders,
        )
        bookkeeping = None
        if two_way is not None:
            tickets = kinds.watch(tickets)
            bookkeeping = TicketBookkeeping(ctx.system, two_way, lambda: now, staff=False)
        await stage(
            EntityKind.TICKET,
            tickets,
            known=known_tickets,
            portal_states=portal_states,
            after_send=bookkeeping,
        )
        notes = sources.work_order_note_decisions(
            reader,
            config,
            work_orders,
            tickets_in_portal=await ledger.sent_keys(ctx.system, (EntityKind.TICKET,)),
            users_in_portal=await ledger.sent_keys(ctx.system, (EntityKind.USER,)),
        )
        await stage(EntityKind.WORK_ORDER_NOTE, notes)
    if two_way is not None and scope.covers(EntityKind.NOTE):
        public_notes = await run_notes_stage(
            ctx, ledger=ledger, two_way=two_way, run_id=run_id, boards=kinds.boards
        )
        _add(total, public_notes)
        scope.tell(EntityKind.NOTE)
    if (
        ctx.documents is not None and ctx.contents is not None and scope.covers(EntityKind.DOCUMENT)
    ):  # D1-D6, after their targets
        decisions = documents.document_decisions(
            reader,
            ctx.docuware,
            config,
            now,
            in_portal=await documents.portal_keys(ledger, ctx.system),
        )
        _add(
            total,
            await documents.run_documents(
                decisions,
                system=ctx.system,
                run_id=run_id,
                ledger=ledger,
                portal=ctx.documents,
                contents=ctx.contents,
            ),
        )
        scope.tell(EntityKind.DOCUMENT)
    return total.as_run_counts()


class Scope:
    """What a run covers: every kind (a run), some kinds (``kinds``: a dry run's choice), or
    one record sent even if unchanged (``record``: a re-send). ``progress`` is told each
    kind as its stage ends (the CLI's progress bar)."""

    def __init__(
        self,
        kinds: frozenset[EntityKind] | None = None,
        record: RecordKey | None = None,
        progress: Callable[[EntityKind], None] | None = None,
    ) -> None:
        self.kinds = frozenset({record.kind}) if record is not None else kinds
        self.record = record
        self.progress = progress

    def tell(self, kind: EntityKind) -> None:
        if self.progress is not None and self.covers(kind):
            self.progress(kind)

    def covers(self, kind: EntityKind) -> bool:
        return self.kinds is None or kind in self.kinds

    def pick(self, decisions: AsyncIterator[Decision[Any]]) -> AsyncIterator[Decision[Any]]:
        return decisions if self.record is None else self._only(decisions, self.record)

    @staticmethod
    async def _only(
        decisions: AsyncIterator[Decision[Any]], key: RecordKey
    ) -> AsyncIterator[Decision[Any]]:
        async for decision in decisions:
            if decision.key == key:
                yield decision


# The kinds a run sends, in its order (a dry run plans all but notes and documents).
RUN_KINDS = (
    EntityKind.OBJECT,
    EntityKind.UNIT,
    EntityKind.PERSON,
    EntityKind.OWNER,
    EntityKind.CARETAKER,
    EntityKind.TEAM,
    EntityKind.OBJECT_ROLE,
    EntityKind.USER,
    *_REFERENCES,
    EntityKind.TICKET,
    EntityKind.WORK_ORDER_NOTE,
    EntityKind.NOTE,
    EntityKind.DOCUMENT,
)


def _add(total: StageCounts, stage: StageCounts) -> None:
    for field in StageCounts.__struct_fields__:
        setattr(total, field, getattr(total, field) + getattr(stage, field))


class _ContractsOnce:
    """The run's iX-Haus source, with contracts read from iX-Haus once per run: units (M5)
    and persons (P1/P5) both need them, and a no-change run should read each table once.
    The rows are kept only until the master-data stages are done."""

    def __init__(self, source: IxhausSource) -> None:
        self._source = source
        self._contracts: list[ContractRecord] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    async def contracts(self) -> AsyncIterator[ContractRecord]:
        if self._contracts is None:
            self._contracts = [c async for c in self._source.contracts()]
        for contract in self._contracts:
            yield contract

    def release(self) -> None:
        self._contracts = None


def _sent(entries: dict[RecordKey, LedgerEntry]) -> set[RecordKey]:
    return {key for key, entry in entries.items() if entry.state == "sent"}
