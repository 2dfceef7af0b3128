"""The ports a process hands to its flows and jobs, built once by its composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.alerts.monitor import AlertMonitor
from app.sync.context import SystemContexts
from app.sync.policy import RunPolicy
from app.sync.ports import (
    Configs,
    Conflicts,
    ContractDeviations,
    Inbox,
    JobQueue,
    Ledger,
    LedgerLinks,
    NoteLinks,
    PayloadArchive,
    PortalActivity,
    PortalStates,
    Runs,
)


@dataclass
class Services:
    runs: Runs
    ledger: Ledger
    portal_states: PortalStates
    configs: Configs
    contexts: SystemContexts
    queue: JobQueue
    clock: Callable[[], datetime]
    note_links: NoteLinks
    conflicts: Conflicts
    portal_activity: PortalActivity
    inbox: Inbox
    links: LedgerLinks
    archive: PayloadArchive
    policy: RunPolicy = field(default_factory=RunPolicy)
    # casavi answers outside the contract, as counted (None: this process keeps no count).
    contract_deviations: ContractDeviations | None = None
    # Run on close, before the contexts close (e.g. the deviation recorder's last flush).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Alerts (app/alerts): incidents, notifications, the console's overview.
    alerts: AlertMonitor | None = None
    # How long the inbound job holds a ticket's lease (``INBOUND_LEASE_SECONDS``).
    inbound_lease_seconds: float = 30.0

    async def aclose(self) -> None:
        from app.sync.inbound.own_writes import flush_own_writes

        await flush_own_writes()  # the poll must know the gateway's last own changes
        for close in self.closers:
            await close()
        await self.contexts.aclose()
