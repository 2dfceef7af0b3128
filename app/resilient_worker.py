"""The arq worker that rides out a Redis outage (issue 23 item 9).

arq's own worker ends when a Redis call in its poll loop fails (at its first poll after
Redis went away, and it came back only if a supervisor restarted it). ``ResilientWorker`` keeps
polling instead: an iteration that meets Redis down is logged once, then retried with a
growing pause (0.5 s doubling up to 10 s); when Redis answers again the worker goes on where
it was: jobs already running were never interrupted (they need the database, not Redis),
the heartbeat (arq's health-check key, which ``arq --check`` and ``/health/ready`` read) is
written on the first good iteration, and the cron jobs tick again.

Everything that a lost Redis held comes back by the usual routes: the inbox sweeper
re-queues unprocessed inbound events, a run whose job vanished is taken over through its
heartbeat, and a job whose result could not be recorded is run again (every job is safe to
run twice). The worker needs Redis to start; ``portal-gateway worker`` runs this class
(``arq app.worker.WorkerSettings`` runs arq's plain worker).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from arq.worker import Worker, get_kwargs
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What a Redis that is down, restarting or unreachable raises.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    RedisConnectionError,  # refused, reset, still loading its data
    RedisTimeoutError,
    OSError,
    TimeoutError,
)
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 10.0


class ResilientWorker(Worker):
    """arq's ``Worker`` whose poll loop waits for Redis instead of ending."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._down_since: float | None = None
        self._pause = FIRST_PAUSE_SECONDS

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as exc:
            await self._wait_for_redis(exc)
            return
        if self._down_since is not None:
            log.warning(
                "Redis answers again after %.0f s; the worker goes on",
                time.monotonic() - self._down_since,
            )
            self._down_since = None
            self._pause = FIRST_PAUSE_SECONDS

    async def _wait_for_redis(self, exc: BaseException) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "Redis is unreachable (%s); the worker keeps trying, pausing up to %.0f s",
                type(exc).__name__,
                MAX_PAUSE_SECONDS,
            )
        # The heartbeat is written on the first good iteration, not a health interval later.
        self._last_health_check = 0
        await asyncio.sleep(self._pause)
        self._pause = min(MAX_PAUSE_SECONDS, self._pause * 2)

    async def close(self) -> None:
        try:
            await super().close()
        except REDIS_DOWN as exc:
            # Stopping while Redis is down: the health-check key expires on its own.
            log.warning("Redis unreachable at shutdown (%s)", type(exc).__name__)
            if self.on_shutdown:
                await self.on_shutdown(self.ctx)
            if self._pool is not None:
                await self._pool.close(close_connection_pool=True)
                self._pool = None


def run_resilient_worker(settings: dict[str, Any]) -> None:
    """Run a ``ResilientWorker`` built from ``app.worker.worker_settings`` until stopped."""
    ResilientWorker(**get_kwargs(settings)).run()
