"""Scheduled sync runs (rule C14): one tick checks every active system and requests a run
when its interval has passed and it is not in its quiet hours.

The tick is idempotent and safe on several workers at once: ``request_run`` returns a run
that is already queued or running instead of starting a second one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import SyncRun, SystemConfig
from app.configuration.secrets import SecretBox
from app.configuration.service import ConfigService
from app.domain.schedule import clock, run_due
from app.sync.ports import JobQueue
from app.sync.runs import request_run

log = logging.getLogger(__name__)

TICK_SECONDS = 60


async def schedule_tick(
    session_factory: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    *,
    now: Callable[[], datetime] = utcnow,
) -> list[int]:
    """Request the runs that are due; return their ids (new or already pending)."""
    started: list[int] = []
    async with session_factory() as session:
        systems = (
            await session.scalars(select(SystemConfig.system).where(SystemConfig.active))
        ).all()
        for system in systems:
            doc = await ConfigService(session, SecretBox(None)).document(system)  # type: ignore[arg-type]
            last = await session.scalar(
                select(func.max(SyncRun.requested_at)).where(
                    SyncRun.system == system, SyncRun.trigger == "schedule"
                )
            )
            quiet = doc.schedule.quiet_hours
            window = (clock(quiet.start), clock(quiet.end)) if quiet else None
            if not run_due(now(), last, doc.schedule.interval_minutes, window):
                continue
            run, _ = await request_run(
                session, queue, system=system, trigger="schedule", requested_by="scheduler"
            )
            started.append(run.id)
    return started


async def schedule_job(ctx: dict[str, Any]) -> list[int]:
    """arq cron entry (every minute)."""
    return await schedule_tick(ctx["session_factory"], ctx["job_queue"])


async def run_forever(session_factory: async_sessionmaker[AsyncSession], queue: JobQueue) -> None:
    """The embedded (no Redis) scheduler: a tick every minute inside the API process."""
    while True:
        try:
            await schedule_tick(session_factory, queue)
        except Exception as exc:  # a failed tick is retried on the next one
            log.warning("schedule tick failed: %s", type(exc).__name__)
        await asyncio.sleep(TICK_SECONDS)
