"""A clock for the HTTP engine that tests move by hand: no test waits or measures wall time."""

from __future__ import annotations

import asyncio


class FakeClock:
    """``now()`` moves only by ``advance``; ``sleep`` records what was asked and returns at
    once (after one turn of the event loop, as a real sleep would give other tasks)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)
