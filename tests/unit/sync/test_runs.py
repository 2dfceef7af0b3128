"""The life of a sync run over fakes: request, claim, execute, finish."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.domain.config import SyncConfig, ranges
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import ObjectRecord
from app.errors import DependencyUnavailable, GatewayError
from app.sync.context import SystemContexts
from app.sync.policy import RunPolicy
from app.sync.ports import PortalWrite, Presence
from app.sync.runs import RUN_SYNC_JOB, execute_run, request_run
from tests.fakes import (
    CountingAdapters,
    FakeConfigs,
    FakeLedger,
    FakePortal,
    FakeQueue,
    FakeRuns,
    FakeSource,
    fake_contexts,
    fake_services,
)


async def _execute(runs: FakeRuns, contexts: SystemContexts, run_id: int) -> str:
    return await execute_run(fake_services(contexts, runs=runs), run_id)


async def test_requests_coalesce_and_enqueue_once() -> None:
    runs, queue = FakeRuns(), FakeQueue()
    first, created = await request_run(runs, queue, system="test", trigger="api", requested_by="x")
    again, created_again = await request_run(
        runs, queue, system="test", trigger="api", requested_by="x"
    )
    assert created
    assert not created_again
    assert again.id == first.id
    assert [j[0] for j in queue.jobs] == [RUN_SYNC_JOB]


async def test_a_run_is_executed_once_and_reports_its_counts() -> None:
    source = FakeSource(objects=[ObjectRecord(number="1001", name="Haus")])
    adapters = CountingAdapters(source=source)
    configs = FakeConfigs()
    configs.change("test", config=SyncConfig(object_range=ranges("1001")))
    runs = FakeRuns()
    contexts = fake_contexts(configs, adapters, runs.ledger)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, run.id) == "succeeded"
    assert await _execute(runs, contexts, run.id) == "not-claimed"
    done = runs.runs[run.id]
    assert done.status == "succeeded"
    assert done.sent == 1
    assert adapters.portal.puts == [RecordKey.of(EntityKind.OBJECT, "1001")]


async def test_a_switched_off_system_fails_with_a_clear_reason() -> None:
    # rule C12: the interface switch stops runs
    runs = FakeRuns()
    contexts = fake_contexts(FakeConfigs(active=False), CountingAdapters(), runs.ledger)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, run.id) == "failed"
    assert "C12" in (runs.runs[run.id].last_error or "")


async def test_two_runs_reuse_the_system_adapters() -> None:
    adapters = CountingAdapters()
    runs = FakeRuns()
    contexts = fake_contexts(FakeConfigs(), adapters, runs.ledger)
    for _ in range(2):
        run, _ = await runs.request("test", trigger="api", requested_by=None)
        assert await _execute(runs, contexts, run.id) == "succeeded"
    assert adapters.built == [1]


class _RefusingQueue(FakeQueue):
    """A queue that still holds a job under every id it is given (arq's refusal)."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        return False


def _objects(n: int, ledger: FakeLedger) -> tuple[SystemContexts, CountingAdapters]:
    source = FakeSource(objects=[ObjectRecord(number=str(1000 + i), name="Haus") for i in range(n)])
    adapters = CountingAdapters(source=source, portal=FakePortal(delay=0.01))
    configs = FakeConfigs()
    configs.change("test", config=SyncConfig(object_range=ranges(f"1000-{1000 + n}")))
    return fake_contexts(configs, adapters, ledger), adapters


async def test_a_refused_job_id_fails_the_run_with_a_clear_error() -> None:
    runs = FakeRuns()
    with pytest.raises(DependencyUnavailable):
        await request_run(runs, _RefusingQueue(), system="test", trigger="api", requested_by=None)
    (run,) = runs.runs.values()
    assert run.status == "failed"
    assert "refused" in (run.last_error or "")
    # The system is not blocked: the next trigger makes a new run.
    again, created = await request_run(
        runs, FakeQueue(), system="test", trigger="api", requested_by=None
    )
    assert created
    assert again.id != run.id


async def test_a_cancelled_job_puts_its_run_back_to_queued() -> None:
    ledger = FakeLedger()
    contexts, adapters = _objects(200, ledger)
    runs = FakeRuns(ledger)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    job = asyncio.create_task(execute_run(fake_services(contexts, runs=runs), run.id))
    for _ in range(500):
        if len(adapters.portal.puts) >= 10:
            break
        await asyncio.sleep(0.01)
    job.cancel()  # the worker stops (SIGTERM)
    with pytest.raises(asyncio.CancelledError):
        await job
    interrupted = runs.runs[run.id]
    assert interrupted.status == "queued"
    assert "interrupted" in (interrupted.last_error or "")
    # The next job continues: what went out before is not sent again.
    sent_before = set(adapters.portal.puts)
    assert await execute_run(fake_services(contexts, runs=runs), run.id) in ("succeeded",)
    assert len(adapters.portal.puts) == len(set(adapters.portal.puts)) == 200
    assert sent_before <= set(adapters.portal.puts)


async def test_a_run_at_its_time_limit_is_continued_by_a_fresh_job() -> None:
    ledger, queue = FakeLedger(), FakeQueue()
    contexts, adapters = _objects(100, ledger)
    runs = FakeRuns(ledger)
    policy = RunPolicy(time_limit_seconds=0.2, concurrency=2)
    run, _ = await request_run(runs, queue, system="test", trigger="api", requested_by=None)
    outcomes = []
    while runs.runs[run.id].status in ("queued", "running"):
        outcomes.append(
            await execute_run(
                fake_services(contexts, runs=runs, queue=queue, policy=policy), run.id
            )
        )
    assert outcomes[0] == "continued"
    assert outcomes[-1] == "succeeded"
    done = runs.runs[run.id]
    assert (done.sent, done.unchanged) == (100, 0)  # what all of its jobs sent
    assert len(queue.jobs) == len(outcomes)  # one fresh job id per continuation
    assert len(adapters.portal.puts) == 100


async def test_a_run_taken_over_stops_its_old_job() -> None:
    runs = FakeRuns()
    contexts, adapters = _objects(300, runs.ledger)
    policy = RunPolicy(heartbeat_seconds=0.02, stale_seconds=0.05)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    job = asyncio.create_task(
        execute_run(fake_services(contexts, runs=runs, policy=policy), run.id)
    )
    for _ in range(500):
        if adapters.portal.puts:
            break
        await asyncio.sleep(0.01)
    runs.attempts[run.id] += 1  # another job claimed it (this one looked dead)
    assert await job == "taken-over"
    assert runs.runs[run.id].status == "running"  # left to its new owner


class _CountingSource(FakeSource):
    def __init__(self, **tables: Any) -> None:
        super().__init__(**tables)
        self.contract_reads = 0

    def contracts(self) -> Any:
        self.contract_reads += 1
        return super().contracts()


async def test_a_run_reads_the_contracts_once() -> None:
    import datetime as dt

    from app.domain.records import ContractRecord

    contract = ContractRecord(
        number="1", object_no="1000", unit_no="1", person_no="7", start=dt.date(2020, 1, 1)
    )
    source = _CountingSource(contracts=[contract])
    adapters = CountingAdapters(source=source)
    runs = FakeRuns()
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    contexts = fake_contexts(FakeConfigs(), adapters, runs.ledger)
    assert await _execute(runs, contexts, run.id) == "succeeded"
    assert source.contract_reads == 1  # units (M5) and persons (P1) share one read


class _Refused(GatewayError):
    status = 502
    code = "casavi-auth-failed"


class _Down(GatewayError):
    status = 503
    code = "casavi-unavailable"


class _Unreachable(FakePortal):
    """casavi answers nothing: every write and every probe fails in transport."""

    def prepare(self, key: RecordKey, record: Any, ids: IdentityMap) -> PortalWrite:
        async def write(presence: Presence) -> str:
            raise _Down("casavi unavailable (POST /v2/properties -> 503)")

        return write

    async def verify(self) -> None:
        raise _Down("casavi unavailable (GET /v2/properties -> 503)")


class _Revoked(FakePortal):
    async def verify(self) -> None:
        raise _Refused("casavi refused the key (POST /v2/authenticate -> 401)")


async def test_a_run_with_nothing_to_send_still_proves_its_credentials() -> None:
    # A run that sends nothing makes one authenticated request: revoked credentials are
    # noticed by the next run, not when something changes.
    source = FakeSource(objects=[ObjectRecord(number="1001", name="Haus")])
    adapters = CountingAdapters(source=source)
    configs = FakeConfigs()
    configs.change("test", config=SyncConfig(object_range=ranges("1001")))
    runs = FakeRuns()
    contexts = fake_contexts(configs, adapters, runs.ledger)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, run.id) == "succeeded"
    assert adapters.portal.verified == 0  # the write proved it
    again, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, again.id) == "succeeded"
    assert adapters.portal.verified == 1  # nothing to send: one request all the same

    revoked = CountingAdapters(source=source, portal=_Revoked())
    revoked.portal.empty = False
    contexts = fake_contexts(configs, revoked, runs.ledger)
    third, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, third.id) == "failed"
    assert "credentials" in (runs.runs[third.id].last_error or "")


async def test_a_casavi_failing_every_call_fails_the_run_naming_casavi() -> None:
    # One breaker across the run: below its threshold of calls in a row, a run none of
    # whose writes went through still asks once more, and fails when that fails too.
    source = FakeSource(objects=[ObjectRecord(number="1001", name="Haus")])
    configs = FakeConfigs()
    configs.change("test", config=SyncConfig(object_range=ranges("1001")))
    runs = FakeRuns()
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    healthy = fake_contexts(configs, CountingAdapters(source=source), runs.ledger)
    assert await _execute(runs, healthy, run.id) == "succeeded"
    source.tables["objects"][0] = ObjectRecord(number="1001", name="Haus (neu)")
    down = fake_contexts(
        configs, CountingAdapters(source=source, portal=_Unreachable()), runs.ledger
    )
    again, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, down, again.id) == "failed"
    done = runs.runs[again.id]
    assert (done.last_error or "").startswith("casavi unavailable")
    assert (done.sent, done.errors) == (0, 1)  # its counts are its protocol's all the same
