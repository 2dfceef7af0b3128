"""The life of a sync run over fakes: request, claim, execute, finish."""

from __future__ import annotations

from app.domain.config import SyncConfig, ranges
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import ObjectRecord
from app.sync.context import SystemContexts
from app.sync.runs import RUN_SYNC_JOB, execute_run, request_run
from tests.fakes import (
    NOW,
    CountingAdapters,
    FakeConfigs,
    FakeLedger,
    FakePortalStates,
    FakeQueue,
    FakeRuns,
    FakeSource,
)


async def _execute(runs: FakeRuns, contexts: SystemContexts, run_id: int) -> str:
    return await execute_run(
        runs=runs,
        contexts=contexts,
        ledger=FakeLedger(),
        portal_states=FakePortalStates(),
        clock=lambda: NOW,
        run_id=run_id,
    )


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
    contexts = SystemContexts(configs, adapters)
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, run.id) == "succeeded"
    assert await _execute(runs, contexts, run.id) == "not-claimed"
    done = runs.runs[run.id]
    assert done.status == "succeeded"
    assert done.sent == 1
    assert adapters.portal.puts == [RecordKey.of(EntityKind.OBJECT, "1001")]


async def test_a_switched_off_system_fails_with_a_clear_reason() -> None:
    # rule C12: the interface switch stops runs
    runs, contexts = FakeRuns(), SystemContexts(FakeConfigs(active=False), CountingAdapters())
    run, _ = await runs.request("test", trigger="api", requested_by=None)
    assert await _execute(runs, contexts, run.id) == "failed"
    assert "C12" in (runs.runs[run.id].last_error or "")


async def test_two_runs_reuse_the_system_adapters() -> None:
    adapters = CountingAdapters()
    runs, contexts = FakeRuns(), SystemContexts(FakeConfigs(), adapters)
    for _ in range(2):
        run, _ = await runs.request("test", trigger="api", requested_by=None)
        assert await _execute(runs, contexts, run.id) == "succeeded"
    assert adapters.built == [1]
