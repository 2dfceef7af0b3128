"""The ports a process hands to its flows and jobs, built once by its composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.alerts.monitor import AlertMonitor
from app.sync.context import SystemContexts
from app.sync.policy import RunPolicy
from app.sync.ports import Configs, ContractDeviations, Inbox, JobQueue, Runs
from app.sync.stores import Stores


@dataclass
class Services:
    """What a process works with. A system's stores and adapters are reached through its
    context (``contexts.use(system)``: ``ctx.stores``, bound to the system); the stores
    themselves (``stores``) serve the reads that need no adapters."""

    runs: Runs
    configs: Configs
    contexts: SystemContexts
    queue: JobQueue
    clock: Callable[[], datetime]
    # The inbound events of every system (the sweeper's due events, parking by id).
    inbox: Inbox
    policy: RunPolicy = field(default_factory=RunPolicy)
    # casavi answers outside the contract, as counted (None: this process keeps no count).
    contract_deviations: ContractDeviations | None = None
    # Run on close, before the contexts close (e.g. the deviation recorder's last flush).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Alerts (app/alerts): incidents, notifications, the console's overview.
    alerts: AlertMonitor | None = None
    # How long the inbound job holds a ticket's lease (``INBOUND_LEASE_SECONDS``).
    inbound_lease_seconds: float = 30.0

    @property
    def stores(self) -> Stores:
        """The gateway's stores, as the contexts bind them."""
        return self.contexts.stores

    async def aclose(self) -> None:
        from app.sync.inbound.own_writes import flush_own_writes

        await flush_own_writes()  # the poll must know the gateway's last own changes
        for close in self.closers:
            await close()
        await self.contexts.aclose()
