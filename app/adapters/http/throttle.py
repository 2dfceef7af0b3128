"""Bounded concurrency and an optional requests-per-second limit for calls to one system."""

from __future__ import annotations

import asyncio
from types import TracebackType

from app.adapters.http.clock import SYSTEM_CLOCK, Clock


class Throttle:
    """``async with throttle:`` holds one of ``max_concurrency`` slots and, when a rate is
    set, starts requests at least ``1 / requests_per_second`` apart."""

    def __init__(
        self,
        max_concurrency: int,
        requests_per_second: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._next_start = 0.0
        self._lock = asyncio.Lock()
        self._clock = clock

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        try:
            await self._pace()
        except BaseException:
            self._semaphore.release()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._semaphore.release()

    async def _pace(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = self._clock.now()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            await self._clock.sleep(start - now)
