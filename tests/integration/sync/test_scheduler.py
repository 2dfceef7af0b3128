"""Rule C14: the scheduler tick requests a run per active system when one is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.models import SyncRun
from app.adapters.store.runs import SqlRuns
from app.configuration.secrets import SecretBox
from app.sync.scheduler import schedule_tick
from app.sync.services import Services
from tests.fakes import CountingAdapters, FakeQueue, fake_contexts, fake_services
from tests.integration.sync.conftest import SECRET_KEY


class RecordingQueue(FakeQueue):
    """Takes every job, even one under an id it holds already."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        self.jobs.append((function, args, job_id))
        return True


def _services(
    sessions: async_sessionmaker[AsyncSession], queue: RecordingQueue, now: datetime
) -> Services:
    """The scheduler's services: the real configurations and runs, the clock at ``now``."""
    configs = SqlConfigs(sessions, SecretBox(SECRET_KEY))
    return fake_services(
        fake_contexts(configs, CountingAdapters()),
        runs=SqlRuns(sessions),
        queue=queue,
        configs=configs,
        clock=lambda: now,
    )


async def _finish_all(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await session.execute(update(SyncRun).values(status="succeeded", active_system=None))
        await session.commit()


async def test_tick_requests_due_runs_only(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    queue = RecordingQueue()
    start = utcnow()
    first = await schedule_tick(_services(sessions, queue, start))
    assert len(first) == 1  # rule C14: the active test system; production is switched off
    # One job, under an id of its own (arq never refuses it for an old result's id).
    assert [(name, args) for name, args, _ in queue.jobs] == [("run_sync", (first[0],))]
    assert queue.jobs[0][2].startswith(f"sync-run:{first[0]}:")
    # A minute later nothing is due yet, and a trigger flood would coalesce anyway.
    assert await schedule_tick(_services(sessions, queue, start + timedelta(minutes=1))) == []
    assert len(queue.jobs) == 1

    await _finish_all(sessions)
    assert await schedule_tick(_services(sessions, queue, start + timedelta(minutes=4))) == []
    later = await schedule_tick(_services(sessions, queue, start + timedelta(minutes=6)))
    assert len(later) == 1
    assert later != first


async def test_no_scheduled_runs_in_quiet_hours(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    async with sessions() as session:
        # rule C14: quiet all day except one minute that has just passed
        await ConfigRows(session, active_test_system).patch(
            "test", {"schedule": {"quietHours": {"start": "00:00", "end": "23:59"}}}, "test"
        )
    queue = RecordingQueue()
    now = utcnow().replace(hour=12)
    assert await schedule_tick(_services(sessions, queue, now)) == []
    assert queue.jobs == []
