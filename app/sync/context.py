"""Per-system context: a system's long-lived adapters, built from its configuration.

Only the composition roots (``create_app``, the worker's ``on_startup``, the demo) build a
``SystemContexts``; a run or a job asks it for a system's ports with ``use(system)``. Per
system there is one iX-Haus engine and one casavi client, and the gateway's stores bound to
the system (``app.sync.stores``), cached by the configuration's
version: a configuration change builds new ones on the next ``use`` and closes the old ones
once no flow uses them any more. ``aclose`` closes everything on shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from app.domain.config import SyncConfig
from app.errors import SyncNotPossible
from app.sync.ports import (
    CasaviTickets,
    Configs,
    DocumentContents,
    DocumentPortal,
    DocuwareSource,
    InboundSettings,
    IxhausSource,
    IxhausWriter,
    Portal,
    SystemSettings,
)
from app.sync.stores import Stores, SystemStores


@dataclass(frozen=True)
class SystemAdapters:
    """What the adapters' factory builds for one configuration version.

    ``documents`` and ``contents`` are None where documents are not sent; ``docuware`` is
    None unless DocuWare is configured and "no DocuWare sync" (C13) is off. Its client is
    long-lived: one logon serves every run and webhook of this configuration version."""

    source: IxhausSource
    writer: IxhausWriter | None
    portal: Portal
    close: Callable[[], Awaitable[None]]
    documents: DocumentPortal | None = None
    contents: DocumentContents | None = None
    docuware: DocuwareSource | None = None
    # casavi's ticket side for the inbound flow (None: this process reads no casavi tickets).
    casavi: CasaviTickets | None = None


AdapterFactory = Callable[[SystemSettings], Awaitable[SystemAdapters]]


@dataclass(frozen=True)
class SystemContext:
    """One system's ports, for one configuration version: its settings (typed once, in
    ``configuration.rules.system_settings``) and the adapters built from them."""

    settings: SystemSettings
    adapters: SystemAdapters
    # The gateway's stores with this system bound (the ledger, the ticket states, two-way).
    stores: SystemStores

    @property
    def system(self) -> str:
        return self.settings.system

    @property
    def version(self) -> int:
        return self.settings.version

    @property
    def active(self) -> bool:
        return self.settings.active

    @property
    def config(self) -> SyncConfig:
        return self.settings.config

    @property
    def inbound(self) -> InboundSettings:
        return self.settings.inbound

    @property
    def source(self) -> IxhausSource:
        return self.adapters.source

    @property
    def writer(self) -> IxhausWriter | None:
        return self.adapters.writer

    @property
    def portal(self) -> Portal:
        return self.adapters.portal

    @property
    def documents(self) -> DocumentPortal | None:
        return self.adapters.documents

    @property
    def contents(self) -> DocumentContents | None:
        return self.adapters.contents

    @property
    def docuware(self) -> DocuwareSource | None:
        return self.adapters.docuware

    @property
    def casavi(self) -> CasaviTickets | None:
        return self.adapters.casavi


@dataclass
class _Entry:
    context: SystemContext
    users: int = 0
    retired: bool = False
    closed: bool = field(default=False)

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.context.adapters.close()


class SystemContexts:
    def __init__(self, configs: Configs, factory: AdapterFactory, stores: Stores) -> None:
        self._configs = configs
        self._factory = factory
        self.stores = stores
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def use(self, system: str) -> AsyncIterator[SystemContext]:
        entry = await self._current(system)
        entry.users += 1
        try:
            yield entry.context
        finally:
            entry.users -= 1
            if entry.retired and entry.users == 0:
                await entry.close()

    async def _current(self, system: str) -> _Entry:
        version = await self._configs.version(system)
        lock = self._locks.setdefault(system, asyncio.Lock())
        async with lock:
            entry = self._entries.get(system)
            if entry is not None and entry.context.version == version:
                return entry
            settings = await self._configs.settings(system)
            if not settings.active:
                raise SyncNotPossible("The interface of this system is switched off (rule C12).")
            adapters = await self._factory(settings)
            new = _Entry(SystemContext(settings, adapters, self.stores.bind(system)))
            self._entries[system] = new
            if entry is not None:
                entry.retired = True
                if entry.users == 0:
                    await entry.close()
            return new

    async def aclose(self) -> None:
        entries, self._entries = list(self._entries.values()), {}
        for entry in entries:
            await entry.close()
