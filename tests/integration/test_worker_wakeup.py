"""A queued job wakes the worker at once instead of waiting for its next poll.

The worker's poll delay is an hour: the job can only run within the test because
``ArqQueue.enqueue`` announced it and ``WakingWorker`` listened (no timing is asserted; the
timeouts only bound a failure).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from arq.connections import RedisSettings, create_pool
from arq.worker import func

from app.sync.queue import ArqQueue, arq_redis, deserialize_job, serialize_job, wake_channel
from app.worker import WakingWorker

ran: asyncio.Queue[str] = asyncio.Queue()


async def note_it(ctx: dict[str, Any], value: str) -> None:
    await ran.put(value)


async def _wait_until_listening(redis: Any, channel: str) -> None:
    while True:
        subscribers = dict(await redis.pubsub_numsub(channel))
        if subscribers.get(channel.encode(), 0) >= 1:
            return
        await asyncio.sleep(0.05)


async def test_an_enqueued_job_wakes_the_idle_worker(redis_url: str) -> None:
    queue_name = f"pgw-test:{uuid.uuid4().hex[:8]}"
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
        default_queue_name=queue_name,
    )
    worker = WakingWorker(
        functions=[func(note_it, name="note_it")],
        queue_name=queue_name,
        redis_pool=pool,
        poll_delay=3600,
        handle_signals=False,
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
    )
    redis = arq_redis(redis_url, queue_name)
    queue = ArqQueue(redis, queue_name)
    running = asyncio.create_task(worker.async_run())
    try:
        # The worker has polled once (an empty queue) and now waits: an hour, unless woken.
        await asyncio.wait_for(_wait_until_listening(redis, wake_channel(queue_name)), 30)
        assert await queue.enqueue("note_it", "hello", job_id="one") is True
        assert await asyncio.wait_for(ran.get(), 30) == "hello"
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        # (Worker.close() calls redis' deprecated close(): its steps here, with aclose().)
        await worker.stop_listening()
        await pool.delete(worker.health_check_key)
        await redis.delete(queue_name)
        await queue.close()
        await pool.aclose()
