"""``ArqQueue.enqueue`` writes what arq's own ``enqueue_job`` writes, in one round trip."""

from __future__ import annotations

import uuid

from arq.constants import job_key_prefix
from arq.jobs import Job, JobStatus

from app.sync.queue import ArqQueue, arq_redis, deserialize_job


async def test_an_enqueued_job_is_the_job_arq_would_have_queued(redis_url: str) -> None:
    queue_name = f"pgw-test:{uuid.uuid4().hex[:8]}"
    redis = arq_redis(redis_url, queue_name)
    queue = ArqQueue(redis, queue_name)
    try:
        assert await queue.enqueue("inbound_ticket", "test", "cv-1", job_id="a") is True
        arq_id = f"{queue_name}:a"
        job = Job(arq_id, redis, _queue_name=queue_name, _deserializer=deserialize_job)
        assert await job.status() == JobStatus.queued
        info = await job.info()
        assert info is not None
        assert (info.function, info.args, info.kwargs, info.job_try) == (  # type: ignore[comparison-overlap]
            "inbound_ticket",
            ["test", "cv-1"],  # msgpack has no tuples (as with arq's own enqueue)
            {},
            None,
        )
        # Score = enqueue time (due now); the job key expires a day later, as arq sets it.
        score = await redis.zscore(queue_name, arq_id)
        assert score == info.enqueue_time.timestamp() * 1000
        ttl_ms = await redis.pttl(job_key_prefix + arq_id)
        assert 86_000_000 < ttl_ms <= 86_400_000
        assert await queue.depth() == 1
    finally:
        await redis.delete(queue_name, job_key_prefix + f"{queue_name}:a")
        await queue.close()


async def test_a_job_id_still_queued_or_with_a_result_is_not_queued_again(
    redis_url: str,
) -> None:
    queue_name = f"pgw-test:{uuid.uuid4().hex[:8]}"
    redis = arq_redis(redis_url, queue_name)
    queue = ArqQueue(redis, queue_name)
    result_key = f"arq:result:{queue_name}:done"
    try:
        assert await queue.enqueue("run_sync", 1, job_id="same") is True
        assert await queue.enqueue("run_sync", 1, job_id="same") is False
        await redis.set(result_key, b"x")  # a finished job keeps its id while its result lives
        assert await queue.enqueue("run_sync", 2, job_id="done") is False
        assert await queue.depth() == 1
    finally:
        await redis.delete(queue_name, result_key, job_key_prefix + f"{queue_name}:same")
        await queue.close()
