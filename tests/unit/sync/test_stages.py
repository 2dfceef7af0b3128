"""The stage logic (diff against the ledger, send, remove, record) over in-memory fakes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.reasons import Reason
from app.domain.records import ObjectRecord
from app.errors import GatewayError
from app.sync.outbound.stages import CasaviDown, run_stage
from app.sync.policy import RunPolicy
from tests.fakes import FakeLedger, FakePortal, FakePortalStates

OBJ = EntityKind.OBJECT


def key(n: str) -> RecordKey:
    return RecordKey.of(OBJ, n)


def obj(n: str, name: str = "Haus") -> Transfer[ObjectRecord]:
    return Transfer(key=key(n), record=ObjectRecord(number=n, name=name))


async def stream(decisions: Iterable[Decision[Any]]) -> AsyncIterator[Decision[Any]]:
    for d in decisions:
        yield d


async def stage(
    decisions: Iterable[Decision[Any]],
    ledger: FakeLedger,
    portal: FakePortal,
    run_id: int = 1,
    now: dt.datetime | None = None,
    policy: RunPolicy | None = None,
) -> Any:
    return await run_stage(
        OBJ,
        stream(decisions),
        system="test",
        run_id=run_id,
        ledger=ledger,
        portal=portal,
        now=now,
        policy=policy or RunPolicy(),
    )


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
    # rule S1: the reason a record is not transferred is kept
    ledger, portal = FakeLedger(), FakePortal()
    excluded = Exclude(key=key("5"), reason=Reason.OBJECT_NOT_ENABLED)
    await stage([excluded], ledger, portal)
    assert ledger.rows[("test", key("5"))].reason_code == Reason.OBJECT_NOT_ENABLED.value
    before = len(ledger.protocol)
    counts = await stage([excluded], ledger, portal, run_id=2)
    assert counts.excluded == 1
    assert len(ledger.protocol) == before


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
    # Not before its backoff has passed (a record casavi rejects is not hammered)...
    waiting = await stage([obj("1"), obj("2"), obj("3")], ledger, portal, run_id=2)
    assert (waiting.sent, waiting.errors, portal.puts.count(key("2"))) == (0, 1, 0)
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
    await run_stage(
        EntityKind.TICKET,
        stream(decisions),
        system="test",
        run_id=1,
        ledger=ledger,
        portal=portal,
        portal_states=states,
    )
    state = states.states[("test", "7")]
    assert not state.transferred
    assert state.reason_code == Reason.TICKET_TYPE_LOCKED.value
    assert state.reason_text


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

    async def put(
        self, key: RecordKey, record: Any, *, exists: bool = False, casavi_id: str | None = None
    ) -> str:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            if self.down:
                raise _Down("casavi unavailable (POST /v2/properties -> 503)")
            return await super().put(key, record, exists=exists, casavi_id=casavi_id)
        finally:
            self.in_flight -= 1


async def test_sends_run_concurrently_up_to_the_configured_bound() -> None:
    ledger, portal = FakeLedger(), _SlowPortal()
    policy = RunPolicy(concurrency=4)
    counts = await stage([obj(str(n)) for n in range(40)], ledger, portal, policy=policy)
    assert counts.sent == 40
    assert portal.max_in_flight == 4
    assert len(ledger.rows) == 40


async def test_outcomes_are_written_in_small_batches() -> None:
    # A crash forgets at most one batch of sends (and those converge: creates adopt a 409).
    ledger, portal = FakeLedger(), FakePortal()
    policy = RunPolicy(ledger_batch=10)
    await stage([obj(str(n)) for n in range(95)], ledger, portal, policy=policy)
    assert ledger.saves == 10


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
    assert {k for (_, k) in ledger.rows} == set(portal.puts)
