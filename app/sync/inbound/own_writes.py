"""The gateway's own changes in casavi, recognised by the poll without reading anything.

Every change the gateway makes to a casavi ticket (the outbound run's creates, updates,
notes and attachments; the inbound flow's resolved fields) gets a new ``modifiedAt`` from
casavi, which the answer carries (the contract says a message's ``createdAt`` and an
attachment's ``createdAt`` become the ticket's ``modifiedAt``). ``OwnWrites`` stores each
(ticket, modifiedAt) as an inbox event that is already done, under the id the poll gives the
same change (``polled_event``): when the poll lists the ticket at that ``modifiedAt`` the
event is a duplicate, stored never, processed never - no re-read of a ticket the gateway
itself touched. A later change by a tenant has another ``modifiedAt`` and is processed.

Changes are buffered and written in one statement within ``FLUSH_SECONDS`` (a first export
creates thousands of tickets); a change the poll sees before its flush is processed once
more, which is harmless (every handler is idempotent).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref

from app.sync.context import AdapterFactory, SystemAdapters
from app.sync.inbound.polled import own_event
from app.sync.ports import Inbox, SystemSettings

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
_LIVE: weakref.WeakSet[OwnWrites] = weakref.WeakSet()


async def flush_own_writes() -> None:
    """Write what every recorder of this process still buffers (shutdown, tests)."""
    for recorder in list(_LIVE):
        await recorder.flush()


class OwnWrites:
    def __init__(self, inbox: Inbox, system: str) -> None:
        self._inbox = inbox
        self._system = system
        self._pending: dict[tuple[str, dt.datetime], None] = {}
        self._flushing: asyncio.Task[None] | None = None
        _LIVE.add(self)

    def saw(self, ticket: str, modified_at: dt.datetime) -> None:
        """Called by the casavi client after each change it made to ``ticket``."""
        self._pending[(ticket, modified_at)] = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        while self._pending:
            batch, self._pending = list(self._pending), {}
            try:
                await self._inbox.add(self._system, [own_event(t, m) for t, m in batch], done=True)
            except Exception as exc:  # the poll then processes these once more: harmless
                log.warning("own casavi changes not recorded: %s", type(exc).__name__)


def with_own_writes(factory: AdapterFactory, inbox: Inbox) -> AdapterFactory:
    """The adapter factory, with each system's casavi client reporting its own changes."""

    async def build(settings: SystemSettings) -> SystemAdapters:
        adapters = await factory(settings)
        observe = getattr(adapters.casavi, "on_own_write", None)
        if callable(observe):
            observe(OwnWrites(inbox, settings.system).saw)
        return adapters

    return build
