"""Delivers signed callbacks to the configured URL, with the delivery faults applied.

At-least-once like a real sender: a delivery that fails (connection error or non-2xx) is
tried again a few times with the same event id and a fresh timestamp and signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime

import httpx
import msgspec

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.casavi.wire_tickets import CallbackData, CallbackEvent, EventType
from app.sandbox.casavi.state import Simulator

log = logging.getLogger(__name__)

DELIVERY_TRIES = 3
REORDER_FLUSH_SECONDS = 1.0


class CallbackDispatcher:
    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._queue: asyncio.Queue[CallbackEvent] = asyncio.Queue()
        self._client = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()

    def emit(self, event_type: EventType, data: CallbackData) -> CallbackEvent:
        event = CallbackEvent(
            id=f"evt_{uuid.uuid4().hex}",
            type=event_type,
            occurred_at=datetime.now(UTC),
            data=data,
        )
        stats = self._sim.stats.callbacks
        stats["emitted"] += 1
        if self._sim.take("drop_callbacks"):
            stats["dropped"] += 1
        else:
            self._queue.put_nowait(event)
        return event

    async def _run(self) -> None:
        held: list[CallbackEvent] = []
        while True:
            try:
                if held:
                    event = await asyncio.wait_for(self._queue.get(), REORDER_FLUSH_SECONDS)
                else:
                    event = await self._queue.get()
                held.append(event)
            except TimeoutError:
                pass  # a partial reorder window is flushed after a quiet second
            else:
                # Read the switch after the event arrived: it may have changed meanwhile.
                if len(held) < self._sim.faults.reorder_callbacks:
                    continue
            batch = list(reversed(held)) if len(held) > 1 else held
            held = []
            for item in batch:
                await self._deliver(item)
                if self._sim.faults.duplicate_callbacks:
                    self._sim.stats.callbacks["duplicated"] += 1
                    await self._deliver(item)

    async def _deliver(self, event: CallbackEvent) -> None:
        settings = self._sim.callbacks
        stats = self._sim.stats.callbacks
        if not settings.url or not settings.secret:
            stats["unconfigured"] += 1
            return
        if self._sim.faults.callback_delay_ms:
            await asyncio.sleep(self._sim.faults.callback_delay_ms / 1000)
        body = msgspec.json.encode(event)
        for attempt in range(1, DELIVERY_TRIES + 1):
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, [settings.secret]),
            }
            try:
                response = await self._client.post(settings.url, content=body, headers=headers)
            except httpx.TransportError as exc:
                log.info("callback %s: %s (try %d)", event.id, type(exc).__name__, attempt)
            else:
                if response.is_success:
                    stats["delivered"] += 1
                    return
                log.info("callback %s: %d (try %d)", event.id, response.status_code, attempt)
            await asyncio.sleep(0.05 * attempt)
        stats["failed"] += 1
