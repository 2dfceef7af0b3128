"""Crash safety of outbound runs, with real processes (issue 10 items 1 and 3).

A worker (``python -m app.cli worker``) runs a first export (``PORTFOLIO``) against the
casavi simulator over HTTP; the test kills it (SIGKILL or SIGTERM) mid-run and starts a new one.
The run completes, casavi holds each record once (counted by successful creates, which the
simulator's store numbers), and the next run sends nothing.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import func, select

from app.adapters.store.models import EntityLink
from app.sync.ports import SyncRunInfo
from app.sync.runs import request_run
from app.sync.services import Services
from tests.faults.conftest import PATIENCE_SECONDS, Workers, activate, sim_counts, wait_until
from tests.support.casavi import SimHandle, simulator  # noqa: F401 - fixture

pytestmark = pytest.mark.fault


async def _trigger(services: Services) -> SyncRunInfo:
    run, _ = await request_run(
        services.runs,
        services.queue,
        system="test",
        trigger="fault-test",
        requested_by="fault-suite",
        policy=services.policy,
    )
    return run


async def _finished(
    services: Services, run_id: int, seconds: float = PATIENCE_SECONDS
) -> SyncRunInfo:
    """Wait for the run to end, triggering now and then as iX-Haus plus and the schedule do
    (a trigger takes over a run whose heartbeat stopped)."""
    done: SyncRunInfo | None = None

    async def ended() -> bool:
        nonlocal done
        await _trigger(services)
        done = await services.runs.get(run_id)
        return done is not None and done.status not in ("queued", "running")

    await wait_until(ended, seconds, f"run {run_id} to end", every=0.5)
    assert done is not None
    return done


async def _writes(simulator: SimHandle) -> int:  # noqa: F811
    by_route = (await simulator.stats())["byRoute"]
    return sum(n for route, n in by_route.items() if not route.startswith("GET "))


async def _ledger_count(services: Services, kind: str) -> int:
    """The stage's records marked to send or sent. Not the ones it excludes: a stage records
    those first, so counting them killed the worker before it had sent anything of the
    stage (the ticket stage's kill, most times)."""
    async with services.runs._sessions() as session:  # type: ignore[attr-defined]
        return int(
            await session.scalar(
                select(func.count())
                .where(EntityLink.entity_type == kind, EntityLink.state != "excluded")
                .select_from(EntityLink)
            )
            or 0
        )


@pytest.mark.parametrize(
    ("sig", "stage", "after"),
    [
        (signal.SIGKILL, "unit", 50),
        (signal.SIGTERM, "person", 100),
        # The ticket stage: house notices (bulletin-board posts) had no 409 handling.
        (signal.SIGKILL, "ticket", 20),
    ],
    ids=["sigkill-units", "sigterm-persons", "sigkill-tickets"],
)
async def test_a_worker_killed_mid_run_converges(
    workers: Workers,
    trigger_services: Services,
    simulator: SimHandle,  # noqa: F811
    ixhaus_portfolio: str,
    sig: signal.Signals,
    stage: str,
    after: int,
) -> None:
    await activate(workers.env["DATABASE_URL"], ixhaus_portfolio, simulator.base_url)
    first = workers.start()
    run = await _trigger(trigger_services)

    async def in_stage() -> bool:
        return await _ledger_count(trigger_services, stage) >= after

    await wait_until(in_stage, PATIENCE_SECONDS, f"the {stage} stage")
    workers.kill(first, sig)
    interrupted = await trigger_services.runs.get(run.id)
    assert interrupted is not None
    assert interrupted.status in ("queued", "running")  # not lost, not falsely finished

    workers.start()
    done = await _finished(trigger_services, run.id)
    assert done.status == "succeeded", (done.last_error, workers.log_text()[-3000:])
    assert done.errors == 0
    creates, held = sim_counts(simulator)
    assert held > 1000
    assert creates == held  # each record created once: no duplicate, nothing recreated
    if stage == "ticket":
        assert simulator.state.store.count("posts") > 0

    # The next run finds casavi up to date: it writes nothing.
    writes = await _writes(simulator)
    again = await _trigger(trigger_services)
    assert again.id != run.id
    rerun = await _finished(trigger_services, again.id)
    assert (rerun.status, rerun.sent, rerun.errors) == ("succeeded", 0, 0)
    assert rerun.unchanged > 1000
    assert await _writes(simulator) == writes
    assert sim_counts(simulator) == (creates, held)


async def test_a_run_past_its_job_time_limit_is_continued_to_the_end(
    workers: Workers,
    trigger_services: Services,
    simulator: SimHandle,  # noqa: F811
    ixhaus_portfolio: str,
) -> None:
    # Each job works on the run for at most 6 s, then hands it to a fresh job; the ledger
    # makes each continue where the last stopped, so a first export longer than any job
    # timeout completes.
    await activate(workers.env["DATABASE_URL"], ixhaus_portfolio, simulator.base_url)
    # 80 ms per casavi call: the portfolio's 1,100-odd sends at 8 in flight wait about 11 s,
    # nearly twice what one job may take, on any machine (the wait is casavi's, not the
    # CPU's). A job starved of CPU (a loaded machine) spends seconds of its 6 on starting;
    # the rest still sends, well within the run's 24 jobs (RunPolicy).
    await simulator.faults(latency_ms=80)
    workers.start(RUN_TIME_LIMIT_SECONDS="6")
    run = await _trigger(trigger_services)
    done = await _finished(trigger_services, run.id)
    if done.status != "succeeded":
        async with trigger_services.runs._sessions() as session:  # type: ignore[attr-defined]
            from app.adapters.store.models import ProtocolEntry

            rows = await session.scalars(
                select(ProtocolEntry).where(ProtocolEntry.outcome == "error").limit(5)
            )
            print("ERRORS", [(r.entity_key, r.message) for r in rows])
    assert done.status == "succeeded", done.last_error
    assert done.last_error is None
    assert done.sent > 1000  # what all of its jobs sent
    async with trigger_services.runs._sessions() as session:  # type: ignore[attr-defined]
        from app.adapters.store.models import SyncRun

        attempts = await session.scalar(select(SyncRun.attempts).where(SyncRun.id == run.id))
    assert attempts is not None
    assert attempts > 1  # the run outlived its first job
    creates, held = sim_counts(simulator)
    assert held > 1000
    assert creates == held
