"""Job queues: arq on Redis when REDIS_URL is set, otherwise the same job functions in-process.

Job arguments are ids only (never personal data) and are serialised with msgpack via msgspec,
not pickle: unpickling what sits in Redis would mean running whatever code put it there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job as arq_job_bytes
from arq.utils import timestamp_ms
from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[Any]]


def _encode_fallback(obj: Any) -> Any:
    # arq stores a failed job's exception as its result; keep its type and message only.
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    # msgspec's enc_hook protocol: NotImplementedError means "this type is not supported".
    raise NotImplementedError(f"cannot serialise {type(obj).__name__} into a job")


_encoder = msgspec.msgpack.Encoder(enc_hook=_encode_fallback)
_decoder = msgspec.msgpack.Decoder()


def serialize_job(data: Any) -> bytes:
    return _encoder.encode(data)


def deserialize_job(data: bytes) -> Any:
    return _decoder.decode(data)


def arq_redis(redis_url: str, queue_name: str) -> ArqRedis:
    """An ArqRedis that connects on first use, so an app starts even while Redis is down."""
    pool = ConnectionPool.from_url(
        redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
    return ArqRedis(
        pool,
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
        default_queue_name=queue_name,
    )


# arq's ``enqueue_job`` in one round trip: it WATCHes the job key, asks whether the job or its
# result exists, then runs MULTI/PSETEX/ZADD/EXEC (three round trips on a connection held
# throughout). A script is atomic on the server, so the same check-then-add needs no WATCH.
# It also wakes the waiting workers (``wake_channel``, see ``app.worker.WakingWorker``).
_ENQUEUE = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
redis.call('publish', ARGV[5], '')
return 1
"""


def wake_channel(queue_name: str) -> str:
    """The Redis channel a queued job is announced on (no payload: a worker just polls)."""
    return f"{queue_name}:wake"


class ArqQueue:
    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self._enqueue_script = redis.register_script(_ENQUEUE)

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """What ``ArqRedis.enqueue_job`` does (same keys, job bytes, score and expiry; nothing
        when the job or its result is still there), in one round trip."""
        # arq's job keys are global to the Redis database; the queue name keeps two
        # installations (or a re-created database) from deduplicating each other's jobs.
        arq_id = f"{self._queue_name}:{job_id}"
        now_ms = timestamp_ms()
        job = arq_job_bytes(function, args, {}, None, now_ms, serializer=self._redis.job_serializer)
        added = await self._enqueue_script(
            keys=[job_key_prefix + arq_id, result_key_prefix + arq_id, self._queue_name],
            args=[
                self._redis.expires_extra_ms,
                job,
                now_ms,
                arq_id,
                wake_channel(self._queue_name),
            ],
        )
        return bool(added)

    async def ping(self) -> None:
        await self._redis.ping()

    async def depth(self) -> int:
        return int(await self._redis.zcard(self._queue_name))

    async def worker_seen(self) -> bool:
        # arq workers refresh this key every health_check_interval (15 s; it expires after 16 s).
        return bool(await self._redis.exists(self._queue_name + ":health-check"))

    async def close(self) -> None:
        await self._redis.aclose()
        # A client built on an explicit pool does not close that pool itself.
        await self._redis.connection_pool.disconnect()


class InProcessQueue:
    """Runs jobs as asyncio tasks in this process (embedded mode, no Redis).

    Same job functions as the arq worker, handed ``ctx["services"]`` as arq's are
    (``observed``); a job id that is still running is not started twice.
    """

    def __init__(self, functions: Mapping[str, JobFunction], ctx: dict[str, Any]) -> None:
        self._functions = dict(functions)
        self._ctx = ctx
        self._running: dict[str, asyncio.Task[None]] = {}

    @property
    def functions(self) -> frozenset[str]:
        """The names of the jobs this queue runs."""
        return frozenset(self._functions)

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        if function not in self._functions:
            raise KeyError(f"no job function named {function!r}")
        if job_id in self._running:
            return False
        task = asyncio.create_task(self._run(function, args, job_id), name=job_id)
        self._running[job_id] = task
        return True

    async def _run(self, function: str, args: tuple[Any, ...], job_id: str) -> None:
        try:
            await self._functions[function](self._ctx["services"], *args)
        except Exception:
            # Jobs record their own failures; this is the last line for a bug in one.
            log.exception("in-process job %s (%s) failed", job_id, function)
        finally:
            self._running.pop(job_id, None)

    async def drain(self) -> None:
        """Wait for every job started so far (tests and graceful shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def ping(self) -> None:
        return None

    async def depth(self) -> int:
        return len(self._running)

    async def worker_seen(self) -> bool | None:
        return None

    async def close(self) -> None:
        await self.drain()


class NoQueue:
    """For a process that executes its runs itself (the demo, benchmarks): enqueuing fails."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        raise RuntimeError("this process runs its jobs itself; nothing is enqueued")

    async def ping(self) -> None:
        return None

    async def depth(self) -> int:
        return 0

    async def worker_seen(self) -> bool | None:
        return None

    async def close(self) -> None:
        return None
