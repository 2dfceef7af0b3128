"""Sync runs: requested through the API or the scheduler, executed by the ``run_sync`` job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import SyncRun, SystemConfig
from app.errors import DependencyUnavailable, GatewayError
from app.sync.ports import JobQueue, OutboundSync, RunCounts

log = logging.getLogger(__name__)

RUN_SYNC_JOB = "run_sync"


# Longer than the worker's job timeout (10 min) plus arq's re-run delay after a crash.
STALE_AFTER = timedelta(minutes=30)


def _abandoned(run: SyncRun) -> bool:
    since = run.started_at if run.status == "running" else run.requested_at
    return since is not None and utcnow() - since > STALE_AFTER


def run_job_id(run_id: int) -> str:
    return f"sync-run:{run_id}"


async def request_run(
    session: AsyncSession, queue: JobQueue, *, system: str, trigger: str, requested_by: str | None
) -> tuple[SyncRun, bool]:
    """Record a run and enqueue it after the commit; return (run, created).

    A run of the same system that is still queued or running is returned instead of a new
    one, so a flood of triggers coalesces into one run. One that has been queued or running
    for longer than any run can take (its worker died, its job expired) is recorded as
    abandoned, so a lost job never blocks a system's syncs for good.
    """
    # Serialise requests per system (two API processes, two workers' schedule ticks): the
    # system's configuration row is locked until this transaction commits (PostgreSQL and
    # Oracle; SQLite has one writer at a time anyway).
    await session.execute(
        select(SystemConfig.system).where(SystemConfig.system == system).with_for_update()
    )
    pending = await session.scalar(
        select(SyncRun)
        .where(SyncRun.system == system, SyncRun.status.in_(("queued", "running")))
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    if pending is not None and not _abandoned(pending):
        return pending, False
    if pending is not None:
        pending.last_error = f"abandoned: still {pending.status} after {STALE_AFTER}"
        pending.status = "failed"
        pending.finished_at = utcnow()
        await session.commit()
    run = SyncRun(system=system, trigger=trigger, requested_by=requested_by)
    session.add(run)
    await session.commit()
    try:
        await queue.enqueue(RUN_SYNC_JOB, run.id, job_id=run_job_id(run.id))
    except Exception as exc:
        run.status = "failed"
        run.finished_at = utcnow()
        run.last_error = f"could not enqueue the run: {type(exc).__name__}"
        await session.commit()
        raise DependencyUnavailable(
            "The job queue is unavailable; the run was not started."
        ) from exc
    return run, True


async def execute_run(
    session_factory: async_sessionmaker[AsyncSession],
    outbound: OutboundSync,
    run_id: int,
    *,
    job_try: int = 1,
) -> str:
    """Claim the run, execute it, record the outcome. Safe to call more than once.

    The claim is a conditional UPDATE: only a queued run, or a running one whose earlier
    try died (arq re-runs it with ``job_try > 1``), is taken; anything else is left alone.
    """
    claimable = SyncRun.status == "queued"
    if job_try > 1:
        claimable = or_(claimable, SyncRun.status == "running")
    async with session_factory() as session:
        result = await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, claimable)
            .values(status="running", started_at=utcnow(), attempts=SyncRun.attempts + 1)
        )
        await session.commit()
        if _rowcount(result) == 0:
            return "not-claimed"
        system = await session.scalar(select(SyncRun.system).where(SyncRun.id == run_id))
    assert system is not None
    try:
        counts = await outbound(system, run_id)
    except Exception as exc:
        # Our own errors say what to fix; anything else is named by type only (no PII).
        reason = exc.detail if isinstance(exc, GatewayError) else type(exc).__name__
        log.warning("sync run %s failed: %s", run_id, reason)
        await _finish(session_factory, run_id, "failed", RunCounts(errors=1), reason)
        return "failed"
    await _finish(session_factory, run_id, "succeeded", counts, None)
    return "succeeded"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0))


async def _finish(
    session_factory: async_sessionmaker[AsyncSession],
    run_id: int,
    status: str,
    counts: RunCounts,
    error: str | None,
) -> None:
    async with session_factory() as session:
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                sent=counts.sent,
                skipped=counts.skipped,
                errors=counts.errors,
                last_error=error,
            )
        )
        await session.commit()
