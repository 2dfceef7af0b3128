"""The send engine (diff against the ledger, send, remove, record, count) over fakes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

import msgspec
import pytest

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalTicket
from app.domain.reasons import Reason
from app.domain.records import ObjectRecord
from app.errors import GatewayError
from app.sync.outbound.breaker import CasaviDown
from app.sync.outbound.engine import SendEngine
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.senders import PortalSender
from app.sync.outbound.status import SEND_FAILED, ticket_portal_status
from app.sync.policy import RunPolicy
from app.sync.ports import PortalStatus, PortalWrite, Presence
from app.sync.stores import SystemLedger, SystemPortalStates
from tests.fakes import NOW, FakeLedger, FakePortal, FakePortalStates

OBJ = EntityKind.OBJECT


def key(n: str) -> RecordKey:
    return RecordKey.of(OBJ, n)


def obj(n: str, name: str = "Haus") -> Transfer[ObjectRecord]:
    return Transfer(key=key(n), record=ObjectRecord(number=n, name=name))


async def stream(decisions: Iterable[Decision[Any]]) -> AsyncIterator[Decision[Any]]:
    for d in decisions:
        yield d


def engine(
    ledger: FakeLedger,
    run_id: int = 1,
    now: dt.datetime | None = None,
    policy: RunPolicy | None = None,
    ids: IdentityMap | None = None,
) -> SendEngine:
    return SendEngine(
        run_id=run_id,
        ledger=SystemLedger(ledger, "test"),
        ids=IdentityMap() if ids is None else ids,
        policy=policy or RunPolicy(),
        clock=lambda: now or NOW,
    )


async def stage(
    decisions: Iterable[Decision[Any]],
    ledger: FakeLedger,
    portal: FakePortal,
    run_id: int = 1,
    now: dt.datetime | None = None,
    policy: RunPolicy | None = None,
    kind: EntityKind = OBJ,
) -> Tally:
    ids = await ledger.identities("test", list(EntityKind))
    send = engine(ledger, run_id, now, policy, ids)
    return await send.stage(kind, stream(decisions), PortalSender(portal))


async def test_first_run_sends_everything_and_records_it() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    counts = await stage([obj("1"), obj("2")], ledger, portal)
    assert (counts.sent, counts.unchanged, counts.errors) == (2, 0, 0)
    assert portal.puts == [key("1"), key("2")]
    assert {k for (_, k) in ledger.rows} == {key("1"), key("2")}
    assert all(e.state == "sent" and e.casavi_id for e in ledger.rows.values())


async def test_unchanged_records_are_neither_sent_nor_written() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1"), obj("2")], ledger, portal)
    saves, protocol = ledger.saves, len(ledger.protocol)
    portal.puts.clear()
    counts = await stage([obj("1"), obj("2")], ledger, portal, run_id=2)
    assert (counts.sent, counts.unchanged) == (0, 2)
    assert portal.puts == []
    assert (ledger.saves, len(ledger.protocol)) == (saves, protocol)


async def test_a_changed_record_is_sent_again() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1"), obj("2")], ledger, portal)
    portal.puts.clear()
    counts = await stage([obj("1", "Neu"), obj("2")], ledger, portal, run_id=2)
    assert counts.sent == 1
    assert portal.puts == [key("1")]


async def test_a_sent_record_that_becomes_a_deletion_is_removed_once() -> None:
    # rule P3/T5: a deletion is only sent for a record casavi has
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1")], ledger, portal)
    gone = Delete(key=key("1"), reason=Reason.BULLETIN_CLOSED)
    counts = await stage([gone], ledger, portal, run_id=2)
    assert counts.removed == 1
    assert portal.removes == [key("1")]
    assert ledger.rows[("test", key("1"))].state == "deleted"
    again = await stage([gone], ledger, portal, run_id=3)
    assert again.removed == 0
    assert portal.removes == [key("1")]


async def test_a_deletion_never_sent_is_only_recorded() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    counts = await stage([Delete(key=key("9"), reason=Reason.BULLETIN_CLOSED)], ledger, portal)
    assert counts.excluded == 1
    assert portal.removes == []
    assert ledger.rows[("test", key("9"))].state == "excluded"


async def test_a_record_leaving_the_eligible_set_is_removed() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1")], ledger, portal)
    counts = await stage(
        [Exclude(key=key("1"), reason=Reason.OBJECT_NOT_ENABLED)], ledger, portal, run_id=2
    )
    assert counts.removed == 1
    assert portal.removes == [key("1")]
    assert ledger.rows[("test", key("1"))].state == "excluded"


async def test_exclusions_are_recorded_once_with_their_reason() -> None:
    # rule S1: the reason a record is not transferred is kept; rule L2: the counts are the
    # protocol's lines - a record still left out for the same reason writes none
    ledger, portal = FakeLedger(), FakePortal()
    excluded = Exclude(key=key("5"), reason=Reason.OBJECT_NOT_ENABLED)
    first = await stage([excluded], ledger, portal)
    assert first.excluded == 1
    assert ledger.rows[("test", key("5"))].reason_code == Reason.OBJECT_NOT_ENABLED.value
    before = len(ledger.protocol)
    counts = await stage([excluded], ledger, portal, run_id=2)
    assert (counts.excluded, counts.unchanged, counts.still_excluded) == (0, 1, 1)
    assert len(ledger.protocol) == before


async def test_a_record_already_deleted_writes_no_new_line() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1")], ledger, portal)
    gone = Delete(key=key("1"), reason=Reason.MOVED_OUT_DELETION_DUE)
    await stage([gone], ledger, portal, run_id=2)
    lines = len(ledger.protocol)
    again = await stage([gone], ledger, portal, run_id=3)
    assert (again.removed, again.excluded, again.unchanged) == (0, 0, 1)
    assert len(ledger.protocol) == lines


async def test_the_tally_equals_the_protocol_lines_by_outcome() -> None:
    # rule L2: sent (with deleted), excluded and errors are exactly the run's lines
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1"), obj("2")], ledger, portal)
    portal.fail_keys = {key("3")}
    decisions: list[Decision[Any]] = [
        obj("1", "Neu"),
        Exclude(key=key("2"), reason=Reason.OBJECT_NOT_ENABLED),
        obj("3"),
        Exclude(key=key("4"), reason=Reason.OBJECT_NOT_ENABLED),
    ]
    tally = await stage(decisions, ledger, portal, run_id=2)
    lines = [o.protocol_outcome for run, o in ledger.protocol if run == 2]
    counts = tally.as_run_counts()
    assert counts.sent == lines.count("sent") + lines.count("deleted") == 2
    assert counts.excluded == lines.count("excluded") == 1
    assert counts.errors == lines.count("error") == 1


async def test_one_failing_record_never_stops_the_stage_and_is_retried() -> None:
    # rule L3: the error is recorded per record; the others go through
    ledger, portal = FakeLedger(), FakePortal()
    portal.fail_keys = {key("2")}
    counts = await stage([obj("1"), obj("2"), obj("3")], ledger, portal)
    assert (counts.sent, counts.errors) == (2, 1)
    failed = ledger.rows[("test", key("2"))]
    assert failed.state == "error"
    error_lines = [o for _, o in ledger.protocol if o.state == "error"]
    assert error_lines
    assert "casavi said no" in (error_lines[0].error or "")
    portal.fail_keys.clear()
    # Not before its backoff has passed (a record casavi rejects is not hammered): it waits,
    # with no new line...
    waiting = await stage([obj("1"), obj("2"), obj("3")], ledger, portal, run_id=2)
    assert (waiting.sent, waiting.errors, waiting.waiting) == (0, 0, 1)
    assert portal.puts.count(key("2")) == 0
    # ...then again, with its attempt count.
    assert failed.attempts == 1
    assert failed.next_attempt_at is not None
    later = failed.next_attempt_at + dt.timedelta(seconds=1)
    retry = await stage([obj("1"), obj("2"), obj("3")], ledger, portal, run_id=3, now=later)
    assert (retry.sent, retry.unchanged) == (1, 2)


async def test_ticket_stage_records_the_portal_field() -> None:
    # rule S1: the reason a ticket is not transferred is its portal field
    ledger, portal, states = FakeLedger(), FakePortal(), FakePortalStates()
    decisions: list[Decision[Any]] = [
        Exclude(key=RecordKey.ticket(7), reason=Reason.TICKET_TYPE_LOCKED),
    ]
    await engine(ledger).stage(
        EntityKind.TICKET,
        stream(decisions),
        PortalSender(portal),
        states=SystemPortalStates(states, "test"),
        status_of=ticket_portal_status,
    )
    state = states.states[("test", "7")]
    assert not state.transferred
    assert state.reason_code == Reason.TICKET_TYPE_LOCKED.value
    assert state.reason_text


async def test_a_ticket_casavi_did_not_take_says_so_in_its_portal_field() -> None:
    # rule S1: a failed send is not "transferred" - unless casavi holds an earlier version
    ledger, portal, states = FakeLedger(), FakePortal(), FakePortalStates()
    ticket_key = RecordKey.ticket(8)
    ticket = PortalTicket(
        number=8,
        kind="normal",
        audience="reporter",
        type_no="10",
        subject="Heizung",
        reported_at=NOW,
        object_no="1001",
    )

    async def push(subject: str, *, retry_now: bool = True) -> PortalStatus:
        record = msgspec.structs.replace(ticket, subject=subject)
        ids = await ledger.identities("test", [EntityKind.TICKET])
        await engine(ledger, ids=ids).stage(
            EntityKind.TICKET,
            stream([Transfer(key=ticket_key, record=record)]),
            PortalSender(portal),
            states=SystemPortalStates(states, "test"),
            status_of=ticket_portal_status,
            retry_now=retry_now,
        )
        return states.states[("test", "8")]

    portal.fail_keys.add(ticket_key)
    created = await push("Heizung")  # the create fails: casavi has nothing
    assert (created.transferred, created.reason_code) == (False, SEND_FAILED)
    assert created.reason_text
    portal.fail_keys.clear()
    sent = await push("Heizung")
    assert (sent.transferred, sent.portal_status, sent.reason_code) == (True, "open", None)
    portal.fail_keys.add(ticket_key)
    updated = await push("Heizung fällt aus")  # the update fails: casavi keeps the last one
    assert (updated.transferred, updated.reason_code) == (True, SEND_FAILED)


class _Down(GatewayError):
    status = 503
    code = "casavi-unavailable"


class _SlowPortal(FakePortal):
    """Counts sends in flight; with ``down`` every call fails like an unreachable casavi."""

    def __init__(self, down: bool = False) -> None:
        super().__init__()
        self.down = down
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0

    def prepare(self, key: RecordKey, record: Any, ids: IdentityMap) -> PortalWrite:
        write = super().prepare(key, record, ids)

        async def slow(presence: Presence) -> str:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(0.01)
                if self.down:
                    raise _Down("casavi unavailable (POST /v2/properties -> 503)")
                return await write(presence)
            finally:
                self.in_flight -= 1

        return slow


async def test_sends_run_concurrently_up_to_the_configured_bound() -> None:
    ledger, portal = FakeLedger(), _SlowPortal()
    policy = RunPolicy(concurrency=4)
    counts = await stage([obj(str(n)) for n in range(40)], ledger, portal, policy=policy)
    assert counts.sent == 40
    assert portal.max_in_flight == 4
    assert len(ledger.rows) == 40


class _RecordingLedger(FakeLedger):
    """Keeps the states of every save, in order; a save of outcomes (not marks) waits while
    ``hold`` is clear (a busy database)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def save(self, system: str, kind: EntityKind, outcomes: Any, *a: Any, **k: Any) -> None:
        if any(o.state != "pending" for o in outcomes):
            await self.hold.wait()
        self.batches.append([o.state for o in outcomes])
        await super().save(system, kind, outcomes, *a, **k)


class _MarkCheckingPortal(FakePortal):
    """Fails a create whose write-ahead mark is not in the ledger when it goes out."""

    def __init__(self, ledger: FakeLedger) -> None:
        super().__init__(delay=0.001)
        self.ledger = ledger

    def prepare(self, key: RecordKey, record: Any, ids: IdentityMap) -> PortalWrite:
        write = super().prepare(key, record, ids)

        async def checked(presence: Presence) -> str:
            assert self.ledger.rows[("test", key)].state == "pending"
            return await write(presence)

        return checked


async def test_creates_are_marked_in_waves_and_outcomes_written_in_batches() -> None:
    # A create is marked pending before it goes out (one commit per wave), its outcome
    # written in batches while the stage runs: a crash leaves a mark that makes the next try
    # look first.
    ledger = _RecordingLedger()
    portal = _MarkCheckingPortal(ledger)
    policy = RunPolicy(ledger_batch=10, write_ahead_wave=50)
    tally = await stage([obj(str(n)) for n in range(95)], ledger, portal, policy=policy)
    assert (tally.sent, tally.errors) == (95, 0)
    marks = [len(b) for b in ledger.batches if set(b) == {"pending"}]
    outcomes = [len(b) for b in ledger.batches if set(b) == {"sent"}]
    assert marks == [50, 45]  # two waves: two writes
    assert sum(outcomes) == 95
    assert 1 < len(outcomes) <= 10  # batches of >= 10 while the stage sends
    assert len(ledger.batches) == len(marks) + len(outcomes)
    assert all(e.state == "sent" for e in ledger.rows.values())
    assert {p for _, p in portal.presences} == {"new"}


async def test_sends_go_on_while_the_ledger_is_being_written() -> None:
    # A send frees its slot when casavi answered: a slow ledger write holds up no send;
    # what casavi holds is still all written when the stage ends.
    ledger, portal = _RecordingLedger(), FakePortal()
    ledger.hold.clear()
    policy = RunPolicy(concurrency=2, ledger_batch=5)
    task = asyncio.create_task(
        stage([obj(str(n)) for n in range(40)], ledger, portal, policy=policy)
    )
    try:
        for _ in range(1000):  # until every record is in casavi, the ledger still held up
            if len(portal.puts) == 40 or task.done():
                break
            await asyncio.sleep(0.001)
        assert len(portal.puts) == 40
        assert not task.done()
    finally:
        ledger.hold.set()
    tally = await task
    assert tally.sent == 40
    assert sorted(e.state for e in ledger.rows.values()) == ["sent"] * 40


async def test_sends_go_on_while_a_sent_records_bookkeeping_waits() -> None:
    # What follows a send (a ticket's conflict base, the archive: ``after_send``) runs outside
    # the send's slot: a slow bookkeeping write holds up no send (casavi stays busy), and
    # every hook has run, before the ledger took its outcome, when the stage ends.
    ledger, portal = FakeLedger(), FakePortal()
    release, hooked = asyncio.Event(), []

    async def bookkeeping(decision: Transfer[Any], entry: Any) -> None:
        await release.wait()
        assert ("test", decision.key) not in ledger.rows or ledger.rows[
            ("test", decision.key)
        ].state != "sent"
        hooked.append(decision.key)

    ids = await ledger.identities("test", list(EntityKind))
    send = engine(ledger, policy=RunPolicy(concurrency=2), ids=ids)
    decisions = stream([obj(str(n)) for n in range(40)])
    task = asyncio.create_task(
        send.stage(OBJ, decisions, PortalSender(portal), after_send=bookkeeping)
    )
    try:
        for _ in range(1000):  # until every record is in casavi, the bookkeeping held up
            if len(portal.puts) == 40 or task.done():
                break
            await asyncio.sleep(0.001)
        assert len(portal.puts) == 40
        assert not task.done()
        assert hooked == []
    finally:
        release.set()
    tally = await task
    assert tally.sent == 40
    assert sorted(hooked) == sorted(key(str(n)) for n in range(40))
    assert sorted(e.state for e in ledger.rows.values()) == ["sent"] * 40


async def test_a_pending_mark_left_by_a_crash_makes_the_next_try_look_first() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    marks = [await _mark(ledger, key("1"))]
    assert marks == ["pending"]
    await stage([obj("1"), obj("2")], ledger, portal, run_id=2)
    assert dict(portal.presences) == {key("1"): "unknown", key("2"): "new"}


async def _mark(ledger: FakeLedger, record: RecordKey) -> str:
    from app.sync.ports import Outcome

    await ledger.save("test", OBJ, [Outcome(key=record, state="pending")], {}, run_id=1)
    return ledger.rows[("test", record)].state


async def test_a_record_whose_parent_is_unsettled_waits_untouched() -> None:
    # Children never pay for their parents' failures: a unit of an object whose creation
    # failed is neither sent nor excluded, and writes nothing - it waits.
    ledger, portal = FakeLedger(), FakePortal()
    portal.fail_keys = {key("1")}
    await stage([obj("1")], ledger, portal)
    unit = RecordKey.unit("1", "01")
    portal.parents[unit] = [key("1")]
    lines = len(ledger.protocol)
    tally = await stage(
        [Transfer(key=unit, record=ObjectRecord(number="01", name="EG"))],
        ledger,
        portal,
        run_id=2,
        kind=EntityKind.UNIT,
    )
    assert (tally.sent, tally.errors, tally.waiting) == (0, 0, 1)
    assert unit not in portal.puts
    assert ("test", unit) not in ledger.rows
    assert len(ledger.protocol) == lines


async def test_the_breaker_stops_a_stage_when_casavi_is_down() -> None:
    ledger, portal = FakeLedger(), _SlowPortal(down=True)
    policy = RunPolicy(concurrency=2, breaker_threshold=5)
    with pytest.raises(CasaviDown) as stopped:
        await stage([obj(str(n)) for n in range(200)], ledger, portal, policy=policy)
    assert stopped.value.detail.startswith("casavi unavailable: 5 calls in a row failed")
    assert portal.calls < 10  # not one call per record
    # What was tried is recorded; casavi being away is no fault of the record: no backoff.
    failed = [e for e in ledger.rows.values() if e.state == "error"]
    assert failed
    assert all(e.next_attempt_at is None for e in failed)


async def test_a_cancelled_stage_still_records_what_casavi_holds() -> None:
    ledger, portal = FakeLedger(), _SlowPortal()
    policy = RunPolicy(concurrency=1, ledger_batch=1000, ledger_flush_seconds=1000)
    task = asyncio.create_task(
        stage([obj(str(n)) for n in range(1000)], ledger, portal, policy=policy)
    )
    for _ in range(1000):  # until a few records are in casavi
        if len(portal.puts) >= 5:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sent = {k for (_, k), e in ledger.rows.items() if e.state == "sent"}
    assert sent == set(portal.puts)
    # The creates it had not reached are marked: the next run looks before it writes.
    assert all(e.state in ("sent", "pending") for e in ledger.rows.values())


class _SlowLedger(FakeLedger):
    """Every write takes a while (a busy database)."""

    async def save(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0.02)
        await super().save(*args, **kwargs)


async def test_the_end_of_a_stage_never_cuts_a_timed_flush_short() -> None:
    # Outcomes reach the ledger within a second (a ticker), and the stage's end - which
    # stops the ticker - must not lose the batch the ticker is writing at that moment.
    for _ in range(5):
        ledger, portal = _SlowLedger(), FakePortal(delay=0.001)
        policy = RunPolicy(ledger_batch=1000, ledger_flush_seconds=0.005)
        await stage([obj(str(n)) for n in range(60)], ledger, portal, policy=policy)
        assert sorted(e.state for e in ledger.rows.values()) == ["sent"] * 60


class _Unmappable(FakePortal):
    """casavi cannot take one record as it is (a user without an e-mail address)."""

    def prepare(self, key: RecordKey, record: Any, ids: IdentityMap) -> PortalWrite:
        if key == RecordKey.of(OBJ, "2"):
            raise ValueError("user 2 has no e-mail address; casavi staff need one")
        return super().prepare(key, record, ids)


async def test_a_record_that_cannot_be_mapped_is_its_own_error_not_the_runs() -> None:
    # rule L3: the record fails with the reason; the others go through; nothing is sent
    # for it (the mapping runs before any request).
    ledger, portal = FakeLedger(), _Unmappable()
    tally = await stage([obj("1"), obj("2"), obj("3")], ledger, portal)
    assert (tally.sent, tally.errors) == (2, 1)
    failed = ledger.rows[("test", key("2"))]
    assert failed.state == "error"
    assert key("2") not in portal.puts
    (line,) = [o for _, o in ledger.protocol if o.key == key("2")]
    assert "no e-mail address" in (line.error or "")
