"""Scheduled sync runs (rule C14): one tick checks every active system and requests a run
when its interval has passed and it is not in its quiet hours.

The tick is idempotent and safe on several workers at once: ``request_run`` returns a run
that is already queued or running instead of starting a second one. Each tick also takes over
the runs whose job died (no heartbeat for a minute): they get a fresh job.
"""

from __future__ import annotations

import logging

from app.domain.schedule import clock, run_due
from app.sync.runs import request_run, take_over_stale
from app.sync.services import Services

log = logging.getLogger(__name__)

TICK_SECONDS = 60


async def schedule_tick(services: Services) -> list[int]:
    """The ``schedule`` job: take over the runs whose job died, request the runs that are
    due; return the ids of the runs due (new or already pending)."""
    runs, queue, policy = services.runs, services.queue, services.policy
    await take_over_stale(runs, queue, policy)
    started: list[int] = []
    for system, schedule in await services.configs.schedules():
        last = await runs.last_scheduled(system)
        quiet = schedule.quiet_hours
        window = (clock(quiet.start), clock(quiet.end)) if quiet else None
        if not run_due(services.clock(), last, schedule.interval_minutes, window):
            continue
        run, _ = await request_run(
            runs,
            queue,
            system=system,
            trigger="schedule",
            requested_by="scheduler",
            policy=policy,
        )
        started.append(run.id)
    return started
