"""The ports a process hands to its flows and jobs, built once by its composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from app.sync.context import SystemContexts
from app.sync.policy import RunPolicy
from app.sync.ports import (
    Configs,
    Conflicts,
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

    async def aclose(self) -> None:
        from app.sync.inbound.own_writes import flush_own_writes

        await flush_own_writes()  # the poll must know the gateway's last own changes
        await self.contexts.aclose()
