"""Every job of the gateway, in one table (``JOBS``), run by arq and by the embedded loop.

A job is queued (enqueued by name with ids: a run, a ticket's inbound events, a DocuWare
document) or periodic (a tick every few seconds: the schedule, the inbound poll, the inbox
sweeper). With Redis, ``app.worker`` builds arq's ``functions`` and ``cron_jobs`` from the
table; without it (``serve`` on SQLite), the same table gives the ``InProcessQueue`` its
functions and ``start_periodic`` runs the periodic jobs as tasks of the API process.

A job is a flow: it takes what the composition root built (``app.sync.services``), handed
over by its runner (``observed`` under arq, which reads ``ctx["services"]``; the
``InProcessQueue``; ``every``), and ids, never records. Every job is safe to run twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.sync.docuware_notifications import DOCUWARE_DOCUMENT_JOB, send_notified_document
from app.sync.inbound.poll import poll_tick
from app.sync.inbound.process import INBOUND_JOB, process_ticket
from app.sync.inbound.sweeper import sweep
from app.sync.queue import JobFunction
from app.sync.runs import RUN_SYNC_JOB, execute_run
from app.sync.scheduler import TICK_SECONDS, schedule_tick
from app.sync.services import Services

if TYPE_CHECKING:
    from app.environment import Settings

log = logging.getLogger(__name__)


# -- the jobs that are not flows themselves -------------------------------------------------
async def inbound_ticket(services: Services, system: str, ticket_ref: str) -> int:
    """Apply one casavi ticket's pending inbox events (safe to run twice, or at once)."""
    lease = services.inbound_lease_seconds
    return await process_ticket(services, system, ticket_ref, lease_seconds=lease)


async def docuware_document(services: Services, system: str, document_id: int) -> str:
    """Send the document a DocuWare webhook named (safe to run twice: the ledger decides)."""
    counts = await send_notified_document(services, system, document_id)
    return "not sent" if counts is None else f"errors={counts.errors}"


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
    Job(RUN_SYNC_JOB, execute_run),
    Job(INBOUND_JOB, inbound_ticket),
    Job(DOCUWARE_DOCUMENT_JOB, docuware_document),
    # Rule C14: request the runs that are due (idempotent across workers).
    Job("schedule", schedule_tick, every=lambda _: TICK_SECONDS),
    Job(
        "inbound-poll",
        poll_tick,
        every=lambda settings: settings.inbound_poll_tick_seconds,
        at_startup=True,
    ),
    Job(
        "inbound-sweep",
        sweep,
        every=lambda settings: settings.inbound_sweep_seconds,
        at_startup=True,
    ),
)
BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}
# What a queue runs by name (arq's ``functions``; the ``InProcessQueue``).
JOB_FUNCTIONS: dict[str, JobFunction] = {j.name: j.function for j in JOBS if j.every is None}
PERIODIC: tuple[Job, ...] = tuple(job for job in JOBS if job.every is not None)


# -- the embedded runner of periodic jobs ----------------------------------------------------
async def every(job: Job, services: Services, seconds: float) -> None:
    """``job`` now and then every ``seconds``, for as long as the process runs."""
    while True:
        try:
            await job.function(services)
        except Exception as exc:  # the database or casavi is away: the next tick tries again
            log.warning("%s failed: %s", job.name, type(exc).__name__)
        await asyncio.sleep(seconds)


def start_periodic(
    services: Services, settings: Settings, jobs: tuple[Job, ...] = PERIODIC
) -> list[asyncio.Task[None]]:
    """Embedded mode (no Redis): each periodic job as a task of this process."""
    return [
        asyncio.create_task(every(job, services, job.period(settings)), name=job.name)
        for job in jobs
    ]
