"""One outbound run of a system: its context's iX-Haus source -> the rules -> casavi.

The run is its stages, in dependency order (``STAGES``, read top to bottom): objects, units,
persons, owners and caretakers (their contracts name objects), teams and object roles, then
users (their assignments name objects, teams and roles: M4, M7), ticket reference data,
tickets, the commissioning notes (messages on tickets casavi has, T8), the public notes
(N1/N2; with the two-way stores only), and last the documents (D1-D6). Every stage feeds
its decisions to the one send engine (``engine.SendEngine``), which owns the identity map,
the breaker, the ledger writes and the counts.

Before anything is written, the run loads the identity map (what casavi holds, and by which
id). A gateway whose ledger is empty while casavi holds records lost its state: the run then
looks in casavi before every create (``recovering``), so it adopts what is there - tenant
tickets by the ``source_ref`` iX-Haus keeps - and creates nothing twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Container, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.domain.calendar import local_today
from app.domain.decisions import Decision
from app.domain.identity import PARENT_KINDS, IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import ContractRecord
from app.errors import SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound import documents, sources, tenancy
from app.sync.outbound.archive import Archiver
from app.sync.outbound.breaker import Breaker, describe, probe
from app.sync.outbound.digests import Decided, ledger_key_of_item
from app.sync.outbound.engine import DEFAULT_POLICY, SendEngine
from app.sync.outbound.notes import TicketBookkeeping, TicketKinds, run_notes_stage
from app.sync.outbound.outcomes import Tally, TicketStatusOf
from app.sync.outbound.senders import DocumentSender, PortalSender
from app.sync.outbound.status import ticket_portal_status
from app.sync.policy import RunPolicy
from app.sync.ports import RunCounts
from app.sync.two_way import SystemTwoWay


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

    def covers(self, kind: EntityKind) -> bool:
        return self.kinds is None or kind in self.kinds

    def pick(self, decisions: AsyncIterator[Decided]) -> AsyncIterator[Decided]:
        return decisions if self.record is None else _only(decisions, self.record)


async def _only(decisions: AsyncIterator[Decided], key: RecordKey) -> AsyncIterator[Any]:
    wanted = key.ledger_key
    async for decision in decisions:
        if ledger_key_of_item(decision) == wanted:
            yield decision


@dataclass
class RunReport:
    """What a run did: the counts, and what kept part of its work from being done."""

    tally: Tally
    engine: SendEngine
    # A source that could not be read to its end (DocuWare throttled, say): its records
    # were left as they are, the run is partial.
    problems: list[str] = field(default_factory=list)

    @property
    def counts(self) -> RunCounts:
        return self.tally.as_run_counts()


@dataclass
class _Run:
    """The state the stages share within one run."""

    ctx: SystemContext
    engine: SendEngine
    scope: Scope
    now: datetime
    today: date
    two_way: SystemTwoWay | None
    report: RunReport
    contracts: Sequence[ContractRecord] = ()
    phases: dict[ContractRecord, int] | None = None  # the contracts' date phases today
    work_orders: sources.WorkOrders | None = None
    kinds: TicketKinds = field(default_factory=TicketKinds)

    async def send(self, kind: EntityKind, decisions: AsyncIterator[Decided]) -> None:
        """The stage's decisions through the engine, to casavi's records."""
        await self.engine.stage(
            kind,
            self.scope.pick(decisions),
            PortalSender(self.ctx.portal),
            force=self.scope.record,
        )


# -- the stages, in the order a run goes through them ---------------------------------------
async def _objects(run: _Run, kind: EntityKind) -> None:
    await run.send(kind, sources.object_decisions(run.ctx.source, run.ctx.config))


async def _contracts(run: _Run) -> None:
    # Units (M5) and persons (P1/P5) both need the contracts: read once per run.
    run.contracts = [c async for c in run.ctx.source.contracts()]
    run.phases = tenancy.contract_phases(run.contracts, run.ctx.config, run.today)


async def _units(run: _Run, kind: EntityKind) -> None:
    await _contracts(run)
    source, config = run.ctx.source, run.ctx.config
    await run.send(
        kind, tenancy.unit_decisions(source, config, run.today, run.contracts, run.phases)
    )


async def _persons(run: _Run, kind: EntityKind) -> None:
    if not run.contracts:
        await _contracts(run)
    source, config = run.ctx.source, run.ctx.config
    await run.send(
        kind, tenancy.person_decisions(source, config, run.today, run.contracts, run.phases)
    )
    run.contracts, run.phases = (), None  # kept only until the persons are done


async def _contacts(run: _Run, kind: EntityKind) -> None:  # M1 owners, M2 caretakers
    await run.send(kind, sources.contact_decisions(run.ctx.source, run.ctx.config, kind))


async def _teams(run: _Run, kind: EntityKind) -> None:
    await run.send(kind, sources.team_decisions(run.ctx.source, run.ctx.config))


async def _object_roles(run: _Run, kind: EntityKind) -> None:
    await run.send(kind, sources.object_role_decisions(run.ctx.source))


async def _users(run: _Run, kind: EntityKind) -> None:
    await run.send(kind, sources.user_decisions(run.ctx.source, run.ctx.config))


async def _references(run: _Run, kind: EntityKind) -> None:  # T9
    await run.send(kind, sources.reference_decisions(run.ctx.source, kind))


async def _tickets(run: _Run, kind: EntityKind) -> None:
    ctx, engine = run.ctx, run.engine
    run.work_orders = await sources.load_work_orders(ctx.source)
    decisions = sources.ticket_decisions(
        ctx.source, ctx.config, run.now, ids=engine.ids, work_orders=run.work_orders
    )
    bookkeeping = None
    if run.two_way is not None:
        decisions = run.kinds.watch(decisions)
        bookkeeping = TicketBookkeeping(run.two_way, lambda: run.now, staff=False)
    status_of: TicketStatusOf = ticket_portal_status
    await engine.stage(
        kind,
        run.scope.pick(decisions),
        PortalSender(ctx.portal),
        states=ctx.stores.portal_states,
        status_of=status_of,
        after_send=bookkeeping,
        force=run.scope.record,
    )


async def _commissioning_notes(run: _Run, kind: EntityKind) -> None:
    if run.work_orders is None:  # the tickets were not part of this run
        run.work_orders = await sources.load_work_orders(run.ctx.source)
        async for ticket in run.ctx.source.tickets():
            run.work_orders.see(ticket)
    decisions = sources.work_order_note_decisions(
        run.ctx.source, run.ctx.config, run.work_orders, ids=run.engine.ids
    )
    await run.send(kind, decisions)


async def _public_notes(run: _Run, kind: EntityKind) -> None:
    if run.two_way is None:
        return  # without the note links there is no echo suppression: no notes go out
    await run_notes_stage(run.ctx, engine=run.engine, two_way=run.two_way, boards=run.kinds.boards)


async def _documents(run: _Run, kind: EntityKind) -> None:
    ctx = run.ctx
    if ctx.documents is None or ctx.contents is None:
        return
    types = await documents.DocumentTypes.load(ctx.source)
    ids, config = run.engine.ids, ctx.config
    sender = DocumentSender(ctx.documents, ctx.contents)
    await run.engine.stage(
        kind,
        documents.document_decisions(ctx.source, types, config, run.now, ids),
        sender,
        concurrency=documents.CONCURRENCY,
    )
    if ctx.docuware is not None and not config.no_docuware_sync:  # C13
        stream = documents.docuware_decisions(ctx.docuware, types, config, run.now, ids)
        await run.engine.stage(
            kind,
            _reading(stream, "DocuWare", run.report.problems),
            sender,
            concurrency=documents.CONCURRENCY,
        )


StageFn = Callable[[_Run, EntityKind], Awaitable[None]]
# (kind, stage): the run, in order.
STAGES: tuple[tuple[EntityKind, StageFn], ...] = (
    (EntityKind.OBJECT, _objects),
    (EntityKind.UNIT, _units),
    (EntityKind.PERSON, _persons),
    (EntityKind.OWNER, _contacts),
    (EntityKind.CARETAKER, _contacts),
    (EntityKind.TEAM, _teams),
    (EntityKind.OBJECT_ROLE, _object_roles),
    (EntityKind.USER, _users),
    (EntityKind.TICKET_TYPE, _references),
    (EntityKind.TICKET_STATUS, _references),
    (EntityKind.TICKET_PRIORITY, _references),
    (EntityKind.TICKET, _tickets),
    (EntityKind.WORK_ORDER_NOTE, _commissioning_notes),
    (EntityKind.NOTE, _public_notes),
    (EntityKind.DOCUMENT, _documents),
)
# The kinds a run sends, in its order (a dry run plans all but notes and documents).
RUN_KINDS = tuple(kind for kind, _ in STAGES)


async def run_outbound(
    ctx: SystemContext,
    *,
    run_id: int | None,
    now: datetime,
    policy: RunPolicy = DEFAULT_POLICY,
    tally: Tally | None = None,
    scope: Scope | None = None,
    written_before: Container[str] = (),
) -> RunReport:
    """Run every stage the scope covers, over the context's ports and its bound stores.
    ``tally`` (when given) is kept up to date as records are done, so a run that stops early
    still shows what it did (the CLI); ``written_before`` holds what earlier jobs of the same
    run wrote (a continued run)."""
    if not ctx.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")
    scope = Scope() if scope is None else scope
    ledger, two_way = ctx.stores.ledger, ctx.stores.two_way
    # The identities of the kinds this run goes through are added as their stages read
    # their ledger (parents before children, ``STAGES``); the others' are read now.
    staged = [kind for kind in PARENT_KINDS if scope.covers(kind)]
    others = [kind for kind in PARENT_KINDS if kind not in staged]
    ids = await ledger.identities(others) if others else IdentityMap()
    breaker = Breaker(policy.breaker_threshold)
    # A ledger holding nothing beside a casavi that holds records: the state was lost.
    recovering = await ledger.is_empty() and not await probe(ctx.portal.is_empty, breaker)
    archiver = None
    if two_way is not None and two_way.archive is not None:
        archiver = Archiver(two_way.archive, run_id=run_id, keep_payloads=ctx.config.keep_payloads)
    engine = SendEngine(
        run_id=run_id,
        ledger=ledger,
        ids=ids,
        policy=policy,
        clock=lambda: now,
        tally=tally,
        breaker=breaker,
        recovering=recovering,
        written_before=written_before,
        after_any_send=archiver,
        identities_from_stages=staged,
    )
    report = RunReport(tally=engine.tally, engine=engine)
    # P3/C15, C10, M5: every date rule counts in the system's calendar (Europe/Berlin), not
    # in UTC - a run at 00:30 Berlin time is already on the next day.
    today = local_today(now, ctx.config.timezone)
    state = _Run(ctx, engine, scope, now, today, two_way, report)
    for kind, stage in STAGES:
        if scope.covers(kind):
            await stage(state, kind)
            if scope.progress is not None:
                scope.progress(kind)
    if not breaker.answered:
        # No write went through (nothing to send, or every one failed): one authenticated
        # request says whether casavi is there and still takes the credentials.
        await probe(ctx.portal.verify, breaker)
    return report


async def _reading(
    decisions: AsyncIterator[Decision[Any]], source: str, problems: list[str]
) -> AsyncIterator[Decision[Any]]:
    """A source's decisions until it fails: what was read is sent, the rest stays as it is in
    casavi (no deletion without evidence), and the failure is the run's problem to report."""
    try:
        async for decision in decisions:
            yield decision
    except Exception as exc:
        problems.append(f"{source} could not be read to its end: {describe(exc)}")
