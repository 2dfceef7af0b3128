"""Every job of the gateway, in one table (``JOBS``), run by arq and by the embedded loop.

A job is queued (enqueued by name with ids: a run, a ticket's inbound events, a DocuWare
document) or periodic (a tick every few seconds: the schedule, the inbound poll, the inbox
sweeper). With Redis, ``app.worker`` builds arq's ``functions`` and ``cron_jobs`` from the
table; without it (``serve`` on SQLite), the same table gives the ``InProcessQueue`` its
functions and ``start_periodic`` runs the periodic jobs as tasks of the API process.

``ctx["services"]`` carries what the composition root built (``app.sync.services``). Jobs
take ids, never records; each calls one flow, and every job is safe to run twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.sync.docuware_notifications import DOCUWARE_DOCUMENT_JOB, send_notified_document
from app.sync.inbound.poll import poll_tick
from app.sync.inbound.process import DEFAULT_LEASE_SECONDS, INBOUND_JOB, process_ticket
from app.sync.inbound.sweeper import sweep
from app.sync.outbound.notes import TwoWay
from app.sync.queue import JobFunction
from app.sync.runs import RUN_SYNC_JOB, execute_run
from app.sync.scheduler import TICK_SECONDS, schedule_tick
from app.sync.services import Services

if TYPE_CHECKING:
    from app.environment import Settings

log = logging.getLogger(__name__)


# -- queued jobs ---------------------------------------------------------------------------
async def run_sync(ctx: dict[str, Any], run_id: int) -> str:
    services: Services = ctx["services"]
    return await execute_run(
        runs=services.runs,
        contexts=services.contexts,
        ledger=services.ledger,
        portal_states=services.portal_states,
        clock=services.clock,
        run_id=run_id,
        queue=services.queue,
        policy=services.policy,
        two_way=TwoWay.of(services),
    )


async def inbound_ticket(ctx: dict[str, Any], system: str, ticket_ref: str) -> int:
    """Apply one casavi ticket's pending inbox events (safe to run twice, or at once)."""
    lease = getattr(ctx.get("settings"), "inbound_lease_seconds", DEFAULT_LEASE_SECONDS)
    return await process_ticket(ctx["services"], system, ticket_ref, lease_seconds=lease)


async def docuware_document(ctx: dict[str, Any], system: str, document_id: int) -> str:
    """Send the document a DocuWare webhook named (safe to run twice: the ledger decides)."""
    counts = await send_notified_document(ctx["services"], system, document_id)
    return "not sent" if counts is None else f"errors={counts.errors}"


# -- periodic jobs -------------------------------------------------------------------------
async def schedule(ctx: dict[str, Any]) -> list[int]:
    """Rule C14: request the runs that are due (idempotent across workers)."""
    services: Services = ctx["services"]
    return await schedule_tick(
        services.configs, services.runs, services.queue, policy=services.policy
    )


async def inbound_poll(ctx: dict[str, Any]) -> dict[str, int]:
    """Poll casavi for every system that is due."""
    return await poll_tick(ctx["services"])


async def inbound_sweep(ctx: dict[str, Any]) -> int:
    """Re-enqueue what the inbox holds unprocessed (Redis was down, a worker was killed)."""
    return await sweep(ctx["services"])


# -- the table -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    # Periodic: seconds between two ticks, from the process settings (None: queued by name).
    every: Callable[[Settings], int] | None = None
    # Periodic: a tick as soon as the worker starts (arq's ``run_at_startup``).
    at_startup: bool = False

    def period(self, settings: Settings) -> int:
        """Seconds between two ticks of a periodic job."""
        if self.every is None:
            raise ValueError(f"{self.name} is queued by name, not periodic")
        return self.every(settings)


JOBS: tuple[Job, ...] = (
    Job(RUN_SYNC_JOB, run_sync),
    Job(INBOUND_JOB, inbound_ticket),
    Job(DOCUWARE_DOCUMENT_JOB, docuware_document),
    Job("schedule", schedule, every=lambda _: TICK_SECONDS),
    Job(
        "inbound-poll",
        inbound_poll,
        every=lambda settings: settings.inbound_poll_tick_seconds,
        at_startup=True,
    ),
    Job(
        "inbound-sweep",
        inbound_sweep,
        every=lambda settings: settings.inbound_sweep_seconds,
        at_startup=True,
    ),
)
BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}
# What a queue runs by name (arq's ``functions``; the ``InProcessQueue``).
JOB_FUNCTIONS: dict[str, JobFunction] = {j.name: j.function for j in JOBS if j.every is None}
PERIODIC: tuple[Job, ...] = tuple(job for job in JOBS if job.every is not None)


# -- the embedded runner of periodic jobs ----------------------------------------------------
async def every(job: Job, ctx: dict[str, Any], seconds: float) -> None:
    """``job`` now and then every ``seconds``, for as long as the process runs."""
    while True:
        try:
            await job.function(ctx)
        except Exception as exc:  # the database or casavi is away: the next tick tries again
            log.warning("%s failed: %s", job.name, type(exc).__name__)
        await asyncio.sleep(seconds)


def start_periodic(
    ctx: dict[str, Any], settings: Settings, jobs: tuple[Job, ...] = PERIODIC
) -> list[asyncio.Task[None]]:
    """Embedded mode (no Redis): each periodic job as a task of this process."""
    return [
        asyncio.create_task(every(job, ctx, job.period(settings)), name=job.name) for job in jobs
    ]
