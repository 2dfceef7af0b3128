"""The life of a sync run: requested (API, scheduler), then executed by the ``run_sync`` job.

Every dependency is a port handed over by a composition root (``app.sync.services``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app.errors import DependencyUnavailable, GatewayError
from app.sync.context import SystemContexts
from app.sync.outbound.run import run_outbound
from app.sync.ports import JobQueue, Ledger, PortalStates, RunCounts, Runs, SyncRunInfo

log = logging.getLogger(__name__)

RUN_SYNC_JOB = "run_sync"


def run_job_id(run_id: int) -> str:
    return f"sync-run:{run_id}"


async def request_run(
    runs: Runs, queue: JobQueue, *, system: str, trigger: str, requested_by: str | None
) -> tuple[SyncRunInfo, bool]:
    """Record a run (or return the pending one) and enqueue it after the commit."""
    run, created = await runs.request(system, trigger=trigger, requested_by=requested_by)
    if not created:
        return run, False
    try:
        await queue.enqueue(RUN_SYNC_JOB, run.id, job_id=run_job_id(run.id))
    except Exception as exc:
        await runs.fail(run.id, f"could not enqueue the run: {type(exc).__name__}")
        raise DependencyUnavailable(
            "The job queue is unavailable; the run was not started."
        ) from exc
    return run, True


async def execute_run(
    *,
    runs: Runs,
    contexts: SystemContexts,
    ledger: Ledger,
    portal_states: PortalStates,
    clock: Callable[[], datetime],
    run_id: int,
    job_try: int = 1,
) -> str:
    """Claim the run, execute it, record the outcome. Safe to call more than once: only a
    queued run, or a running one whose earlier try died (``job_try > 1``), is claimed."""
    system = await runs.claim(run_id, retry=job_try > 1)
    if system is None:
        return "not-claimed"
    try:
        async with contexts.use(system) as ctx:
            counts = await run_outbound(
                ctx, ledger=ledger, portal_states=portal_states, run_id=run_id, now=clock()
            )
    except Exception as exc:
        # Our own errors say what to fix; anything else is named by type only (no PII).
        reason = exc.detail if isinstance(exc, GatewayError) else type(exc).__name__
        log.warning("sync run %s failed: %s", run_id, reason)
        await runs.finish(run_id, "failed", RunCounts(errors=1), reason)
        return "failed"
    await runs.finish(run_id, "succeeded", counts, None)
    return "succeeded"
