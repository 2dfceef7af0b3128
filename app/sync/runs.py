"""The life of a sync run: requested (API, scheduler), then executed by the ``run_sync`` job.

The flows take what a composition root built (``app.sync.services``) and nothing else; the
job table names them directly (``app.sync.jobs``).

One run per system is pending at a time (``Runs.request``). A job claims its run and keeps a
heartbeat while it works; a run whose heartbeat stopped (a killed worker) is taken over by
the next trigger or schedule tick under a fresh job id, and the new job continues where the
old one stopped (the ledger knows what casavi holds). A job that is cancelled (the worker
stops) puts its run back to queued; one that reaches its time limit hands the run to a fresh
job. Every enqueue uses a job id of its own, so arq never refuses a run's job because an old
result with the same id is still in Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from contextlib import suppress

import msgspec

from app.alerts import events as alert_events
from app.domain.calendar import utcnow
from app.domain.keys import EntityKind
from app.errors import DependencyUnavailable, GatewayError
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.run import RunReport, Scope, run_outbound
from app.sync.policy import RunPolicy
from app.sync.ports import JobQueue, RunClaim, Runs, RunStatus, SyncRunInfo
from app.sync.services import Services

log = logging.getLogger(__name__)

RUN_SYNC_JOB = "run_sync"
DEFAULT_POLICY = RunPolicy()


def run_job_id(run_id: int) -> str:
    """A job id of its own for every enqueue of a run (arq refuses an id it still has)."""
    return f"sync-run:{run_id}:{uuid.uuid4().hex[:12]}"


class QueueRefused(GatewayError):
    status = 503
    code = "queue-refused"
    title = "The job queue refused the run"


async def enqueue_run(queue: JobQueue, run_id: int) -> str:
    """Enqueue the run's job under a fresh id; its id, or ``QueueRefused``."""
    for _ in range(2):
        job_id = run_job_id(run_id)
        if await queue.enqueue(RUN_SYNC_JOB, run_id, job_id=job_id):
            return job_id
    raise QueueRefused(f"the job queue refused run {run_id}'s job twice (job id taken)")


async def request_run(
    runs: Runs,
    queue: JobQueue,
    *,
    system: str,
    trigger: str,
    requested_by: str | None,
    policy: RunPolicy = DEFAULT_POLICY,
) -> tuple[SyncRunInfo, bool]:
    """Record a run (or return the pending one) and enqueue it after the commit.

    A pending run whose job died (no heartbeat for ``policy.stale_seconds``) is taken over
    here: enqueued again under a fresh job id.
    """
    run, created = await runs.request(system, trigger=trigger, requested_by=requested_by)
    if not created:
        await take_over_stale(runs, queue, policy, only=run.id)
        return run, False
    try:
        await enqueue_run(queue, run.id)
    except Exception as exc:
        error = exc.detail if isinstance(exc, QueueRefused) else type(exc).__name__
        await runs.fail(run.id, f"could not enqueue the run: {error}")
        raise DependencyUnavailable(
            "The job queue is unavailable; the run was not started."
        ) from exc
    return run, True


async def take_over_stale(
    runs: Runs, queue: JobQueue, policy: RunPolicy, *, only: int | None = None
) -> list[int]:
    """Enqueue a fresh job for every pending run that shows no sign of life; their ids.

    Safe to call from several processes at once: only one job can claim a run (its claim
    renews the heartbeat), the others find it taken and end.
    """
    taken: list[int] = []
    for run in await runs.stale(utcnow() - dt.timedelta(seconds=policy.stale_seconds)):
        if only is not None and run.id != only:
            continue
        try:
            job_id = await enqueue_run(queue, run.id)
        except Exception as exc:  # the next trigger or tick tries again
            log.warning("could not take over run %s: %s", run.id, type(exc).__name__)
            continue
        log.warning("run %s showed no sign of life; taken over by job %s", run.id, job_id)
        taken.append(run.id)
    return taken


async def execute_run(
    services: Services,
    run_id: int,
    *,
    tally: Tally | None = None,
    progress: Callable[[EntityKind], None] | None = None,
) -> str:
    """The ``run_sync`` job: claim the run, execute it, record the outcome. Safe to call
    more than once and from several jobs at once: only a queued run, or a running one whose
    heartbeat stopped, is claimed, and only the latest claim may record anything. ``tally``
    (kept up to date as records are done) and ``progress`` (told each stage's kind as it
    ends) are for a caller that shows the run's progress (the CLI).

    The run's counts are its protocol's lines by outcome, whichever of its jobs wrote them
    (a run continued after a time limit or a takeover counts every job), plus what the last
    job found unchanged or left waiting."""
    runs, queue, policy = services.runs, services.queue, services.policy
    stale_before = utcnow() - dt.timedelta(seconds=policy.stale_seconds)
    claim = await runs.claim(run_id, stale_before=stale_before)
    if claim is None:
        return "not-claimed"
    task = asyncio.current_task()
    assert task is not None
    lost = asyncio.Event()
    beating = asyncio.create_task(_heartbeat(runs, run_id, claim, policy, task, lost))
    tally = Tally() if tally is None else tally
    # What earlier jobs of this run wrote: found unchanged now, it is counted by their lines.
    written = await runs.written_keys(run_id) if claim.attempt > 1 else set()
    limit = asyncio.timeout(policy.time_limit_seconds)
    report: RunReport | None = None
    try:
        try:
            async with limit, services.contexts.use(claim.system) as ctx:
                report = await run_outbound(
                    ctx,
                    run_id=run_id,
                    now=services.clock(),
                    policy=policy,
                    tally=tally,
                    scope=Scope(progress=progress),
                    written_before=written,
                )
        finally:
            beating.cancel()
            with suppress(asyncio.CancelledError):
                await beating
    except asyncio.CancelledError:
        if lost.is_set():
            task.uncancel()
            log.warning("run %s was taken over by another job; this one stops", run_id)
            return "taken-over"
        # The worker stops (SIGTERM) or the job was cancelled: the run goes back to queued
        # and arq's retry (or a takeover) continues it.
        try:
            await asyncio.shield(_release(runs, run_id, claim, _INTERRUPTED))
        except Exception as exc:  # left running: its silent heartbeat gets it taken over
            log.warning("run %s: not released: %s", run_id, type(exc).__name__)
        raise
    except TimeoutError:
        if not limit.expired():
            return await _finish(runs, run_id, claim, tally, "failed", "TimeoutError")
        return await _time_limit(runs, queue, run_id, claim, tally, policy)
    except Exception as exc:
        # Our own errors say what to fix; anything else is named by type only (no PII).
        reason = exc.detail if isinstance(exc, GatewayError) else type(exc).__name__
        alert_events.run_stopped(claim.system, run_id, exc)  # alerts: a tripped breaker
        return await _finish(runs, run_id, claim, tally, "failed", reason)
    assert report is not None
    status, error = _verdict(report)
    return await _finish(runs, run_id, claim, tally, status, error)


_INTERRUPTED = "interrupted: the job was cancelled (worker stopping); the next job continues"


def _verdict(report: RunReport) -> tuple[RunStatus, str | None]:
    """A run whose records or sources partly failed is partial; rule outcomes (exclusions
    with their reasons) are not failures. (A run that could not reach casavi at all raised
    ``CasaviDown`` before it got here: failed.)"""
    problems = list(report.problems)
    if report.tally.errors:
        problems.append(f"{report.tally.errors} record(s) failed; see the run's protocol")
    if problems:
        return "partial", "; ".join(problems)
    return "succeeded", None


async def _finish(
    runs: Runs, run_id: int, claim: RunClaim, tally: Tally, status: RunStatus, error: str | None
) -> str:
    """Record the outcome with the counts of every job of the run (its protocol)."""
    if status == "failed":
        log.warning("sync run %s failed: %s", run_id, error)
    lines = await runs.totals(run_id)
    counts = msgspec.structs.replace(lines, unchanged=tally.unchanged, waiting=tally.waiting)
    await runs.finish(run_id, status, counts, error, attempt=claim.attempt)
    return status


async def _release(runs: Runs, run_id: int, claim: RunClaim, note: str) -> bool:
    """Back to queued for the next job, with what its jobs have sent so far."""
    sent = (await runs.totals(run_id)).sent
    return await runs.release(run_id, claim.attempt, note, sent=sent)


async def _time_limit(
    runs: Runs,
    queue: JobQueue | None,
    run_id: int,
    claim: RunClaim,
    tally: Tally,
    policy: RunPolicy,
) -> str:
    limit = f"{policy.time_limit_seconds:g} s"
    if queue is not None and claim.attempt < policy.max_attempts:
        note = f"job time limit ({limit}) reached; a new job continues the run"
        if await _release(runs, run_id, claim, note):
            try:
                await enqueue_run(queue, run_id)
            except Exception as exc:  # left queued: the next trigger or tick takes it over
                log.warning("run %s: continuation not enqueued: %s", run_id, type(exc).__name__)
            return "continued"
        return "taken-over"
    reason = f"stopped: the job time limit ({limit}) was reached {claim.attempt} time(s)"
    return await _finish(runs, run_id, claim, tally, "failed", reason)


async def _heartbeat(
    runs: Runs,
    run_id: int,
    claim: RunClaim,
    policy: RunPolicy,
    task: asyncio.Task[object],
    lost: asyncio.Event,
) -> None:
    while True:
        await asyncio.sleep(policy.heartbeat_seconds)
        try:
            held = await runs.heartbeat(run_id, claim.attempt)
        except Exception as exc:  # the database is briefly away: try on the next beat
            log.warning("run %s: heartbeat failed: %s", run_id, type(exc).__name__)
            continue
        if not held:
            lost.set()
            task.cancel()
            return
