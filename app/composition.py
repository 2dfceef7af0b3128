"""What every composition root builds the same way: the gateway's stores and per-system
contexts over one engine of its own state (``create_app``, the worker, the demo)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.factories import open_system_adapters
from app.adapters.store.archive import SqlPayloadArchive
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.conflicts import SqlConflicts
from app.adapters.store.inbox import SqlInbox
from app.adapters.store.ledger import SqlLedger
from app.adapters.store.note_links import SqlNoteLinks
from app.adapters.store.portal_states import SqlPortalActivity, SqlPortalStates
from app.adapters.store.runs import SqlRuns
from app.configuration.secrets import SecretBox
from app.domain.calendar import utcnow
from app.sync.context import AdapterFactory, SystemContexts
from app.sync.inbound.own_writes import with_own_writes
from app.sync.policy import RunPolicy
from app.sync.ports import JobQueue
from app.sync.services import Services


def build_services(
    session_factory: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    queue: JobQueue,
    *,
    adapters: AdapterFactory = open_system_adapters,
    policy: RunPolicy | None = None,
) -> Services:
    configs = SqlConfigs(session_factory, secret_box)
    ledger = SqlLedger(session_factory)
    inbox = SqlInbox(session_factory)
    return Services(
        runs=SqlRuns(session_factory),
        ledger=ledger,
        portal_states=SqlPortalStates(session_factory),
        configs=configs,
        # The poll recognises the gateway's own changes in casavi (own_writes.py).
        contexts=SystemContexts(configs, with_own_writes(adapters, inbox)),
        queue=queue,
        clock=utcnow,
        note_links=SqlNoteLinks(session_factory),
        conflicts=SqlConflicts(session_factory),
        portal_activity=SqlPortalActivity(session_factory),
        inbox=inbox,
        links=ledger,
        archive=SqlPayloadArchive(session_factory),
        policy=policy or RunPolicy(),
    )
