"""What every composition root builds the same way: the gateway's stores and per-system
contexts over one engine of its own state (``create_app``, the worker, the demo)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.casavi.deviations import ContractDeviation, on_contract_deviation
from app.adapters.factories import open_system_adapters
from app.adapters.store.archive import SqlPayloadArchive
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.conflicts import SqlConflicts
from app.adapters.store.deviations import SqlContractDeviations
from app.adapters.store.inbox import SqlInbox
from app.adapters.store.ledger import SqlLedger
from app.adapters.store.note_links import SqlNoteLinks
from app.adapters.store.portal_states import SqlPortalActivity, SqlPortalStates
from app.adapters.store.runs import SqlRuns
from app.alerts.events import contract_deviation
from app.alerts.monitor import AlertMonitor
from app.configuration.secrets import SecretBox
from app.domain.calendar import utcnow
from app.sync.context import AdapterFactory, SystemContexts
from app.sync.inbound.own_writes import with_own_writes
from app.sync.policy import RunPolicy
from app.sync.ports import ContractDeviations, DeviationCount, JobQueue
from app.sync.services import Services
from app.sync.stores import Stores, TwoWay

if TYPE_CHECKING:
    from app.adapters.factories import TransportFactory

log = logging.getLogger(__name__)


class DeviationRecorder:
    """Subscribed to the casavi adapter's deviation hook: keeps count in the database
    (batched within a fraction of a second), for the console and ``/metrics``."""

    def __init__(self, store: ContractDeviations) -> None:
        self._store = store
        self._pending: Counter[ContractDeviation] = Counter()
        self._flushing: asyncio.Task[None] | None = None

    def __call__(self, deviation: ContractDeviation) -> None:
        self._pending[deviation] += 1
        if self._flushing is None or self._flushing.done():
            # Without a running loop: flushed with the next one, or on close.
            with contextlib.suppress(RuntimeError):
                self._flushing = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(0.2)
        await self.flush()

    async def flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, Counter()
            now = utcnow()
            seen = [
                DeviationCount(
                    system=d.system or "-",
                    operation=d.operation,
                    field=d.field,
                    problem=d.problem,
                    times=n,
                    first_seen_at=now,
                    last_seen_at=now,
                )
                for d, n in batch.items()
            ]
            try:
                await self._store.add(seen)
            except Exception as exc:  # the in-process count and the log still have them
                log.warning("contract deviations not stored: %s", type(exc).__name__)


def build_services(
    session_factory: async_sessionmaker[AsyncSession],
    secret_box: SecretBox,
    queue: JobQueue,
    *,
    adapters: AdapterFactory | None = None,
    policy: RunPolicy | None = None,
    transport: TransportFactory | None = None,
) -> Services:
    """The gateway's services. Each system's adapters come from ``adapters`` (default:
    ``open_system_adapters``, its HTTP clients over ``transport``: default the network)."""
    if adapters is None:
        adapters = partial(open_system_adapters, transport=transport)
    configs = SqlConfigs(session_factory, secret_box)
    ledger = SqlLedger(session_factory)
    inbox = SqlInbox(session_factory)
    portal_states = SqlPortalStates(session_factory)
    archive = SqlPayloadArchive(session_factory)
    two_way = TwoWay(
        SqlNoteLinks(session_factory),
        SqlConflicts(session_factory),
        SqlPortalActivity(session_factory),
        links=ledger,
        archive=archive,
    )
    deviations = SqlContractDeviations(session_factory)
    recorder = DeviationRecorder(deviations)
    unsubscribe = on_contract_deviation(recorder)
    # Alerts (app/alerts): a deviation opens a "casavi contract" incident for its system.
    unsubscribe_alerts = on_contract_deviation(
        lambda found: contract_deviation(found.operation, found.system or None)
    )

    async def stop_recording() -> None:
        unsubscribe()
        unsubscribe_alerts()
        await recorder.flush()

    return Services(
        runs=SqlRuns(session_factory),
        configs=configs,
        # The poll recognises the gateway's own changes in casavi (own_writes.py).
        contexts=SystemContexts(
            configs, with_own_writes(adapters, inbox), Stores(ledger, portal_states, two_way)
        ),
        queue=queue,
        clock=utcnow,
        inbox=inbox,
        policy=policy or RunPolicy(),
        contract_deviations=deviations,
        closers=[stop_recording],
        alerts=AlertMonitor(session_factory, configs),
    )
