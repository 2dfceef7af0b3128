"""Issue 10 item 5: two installations on one Redis each run their schedule every minute.

arq forms a cron job's id from the job's name and the minute (``<name>:<unix ms>``) and keeps
job keys Redis-wide, not per queue; the gateway namespaces the name by ``ARQ_QUEUE_NAME``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from arq.connections import create_pool
from arq.worker import Worker

from app.environment import load_settings
from app.worker import worker_settings

pytestmark = pytest.mark.fault


async def _worker(database_url: str, redis_url: str, queue_name: str) -> Worker:
    settings = load_settings(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "ARQ_QUEUE_NAME": queue_name}
    )
    kwargs: dict[str, Any] = worker_settings(settings)
    pool = await create_pool(
        kwargs["redis_settings"],
        job_serializer=kwargs["job_serializer"],
        job_deserializer=kwargs["job_deserializer"],
        default_queue_name=queue_name,
    )
    # burst: run what is queued, then return; poll fast so the test does not wait.
    kwargs["poll_delay"] = 0.05
    return Worker(**kwargs, redis_pool=pool, burst=True, handle_signals=False)


async def _close(worker: Worker) -> None:
    # Worker.close() calls redis' deprecated close(); do its steps with aclose().
    await worker.pool.delete(worker.health_check_key)
    if worker.ctx.get("engine") is not None:
        await worker.on_shutdown(worker.ctx)
    await worker.pool.aclose()


async def test_two_installations_on_one_redis_both_tick(migrated_pg: str, redis_url: str) -> None:
    # issue 10 item 5 / rule C14: both installations' crons fire for the same minute, as two
    # real installations on one Redis do every minute; each must run its own schedule tick.
    tag = uuid.uuid4().hex[:8]
    workers = [await _worker(migrated_pg, redis_url, f"pgw-test:{tag}:{side}") for side in "ab"]
    minute = datetime.now(tz=workers[0].timezone).replace(second=0, microsecond=0)
    try:
        for worker in workers:
            # The schedule, the inbound poll and the inbox sweeper all tick at second 0.
            assert len(worker.cron_jobs) == 3
            for cron_job in worker.cron_jobs:
                cron_job.next_run = minute
            # arq's own cron step: enqueue the ticks that are due (each worker's heartbeat).
            await worker.run_cron(minute, 0.5)
            # No further minute falls into this short test.
            for cron_job in worker.cron_jobs:
                cron_job.next_run = minute + timedelta(days=1)
        queued = [await worker.pool.zcard(worker.queue_name) for worker in workers]
        completed = await asyncio.gather(*(worker.run_check() for worker in workers))
    finally:
        for worker in workers:
            await _close(worker)
    # Each installation enqueued and ran its own schedule tick, inbound poll and sweep (a
    # collision of job ids would leave one of them short); a tick may add run jobs of its own.
    assert queued[0] == queued[1] >= 3
    assert min(completed) >= 3
