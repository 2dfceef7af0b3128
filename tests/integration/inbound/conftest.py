"""Inbound fixtures: the test system over a seeded iX-Haus sandbox and the casavi simulator
(over HTTP), master data sent by a real outbound run, and the gateway served on loopback so
the simulator's signed callbacks reach it.

The outbound run happens once per module (``first_export``, the simulator in process); each
test starts from a copy of the state it left: the gateway's ledger rows and the simulator's
state file. The simulator stays on loopback for the tests (most) that serve the gateway on a
uvicorn thread or start workers: the simulator's callbacks go to a URL, and those gateways
reach casavi over the network. A test without either may take it in process
(``casavi_in_process``)."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import (
    ConfigChange,
    EntityLink,
    FieldConflict,
    InboundCursor,
    InboundLease,
    InboxEvent,
    NoteLink,
    ProtocolEntry,
    SyncRun,
    SystemConfig,
    SystemSecret,
    TicketFieldBase,
    TicketPortalState,
)
from app.asgi import create_app
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.domain.keys import TicketNumber
from app.environment import Settings, load_settings, normalise_database_url
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, ServerThread
from app.sandbox.config import sandbox_config_patch
from app.sync.inbound.own_writes import flush_own_writes
from app.sync.runs import execute_run
from app.sync.services import Services
from tests.conftest import seeded_ixhaus_database
from tests.fakes import FakeQueue
from tests.support.casavi import FAST_RETRY, SimHandle, serve_simulator
from tests.support.snapshot import Snapshot, take

ROOT = Path(__file__).resolve().parents[3]
SECRET_KEY = base64.urlsafe_b64encode(b"inbound-test-key-0123456789abcde").decode()
CALLBACK_SECRET = "whsec-inbound-test"
# How long a test waits for a state before it gives up: an upper bound only (a passing test
# never waits for it), sized for a loaded 2-core machine.
PATIENCE_SECONDS = 300.0


@pytest.fixture(scope="module")
def ixhaus_url() -> Iterator[str]:
    with seeded_ixhaus_database() as url:
        yield url


# The gateway's state besides its configuration: what a test's outbound run and inbound
# events write.
STATE = (
    ProtocolEntry,
    SyncRun,
    EntityLink,
    TicketPortalState,
    InboxEvent,
    InboundLease,
    InboundCursor,
    NoteLink,
    FieldConflict,
    TicketFieldBase,
)


async def reset_state(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        for model in (*STATE, SystemSecret, ConfigChange):
            await session.execute(delete(model))
        await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
        await session.commit()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@dataclass
class Inbound:
    """One wired-up test system: the gateway's stores, iX-Haus, casavi and a casavi client."""

    sessions: async_sessionmaker[AsyncSession]
    services: Services
    box: SecretBox
    ixhaus: AsyncEngine
    tables: IxhausTables
    sim: SimHandle
    casavi: CasaviClient

    async def configure(self, patch: dict[str, Any]) -> None:
        async with self.sessions() as session:
            await ConfigRows(session, self.box).patch("test", patch, "test")

    async def outbound_run(self) -> None:
        run, _ = await self.services.runs.request("test", trigger="test", requested_by="test")
        await execute_run(self.services, run.id)
        done = await self.services.runs.get(run.id)
        assert done is not None
        page = await self.services.runs.entries(
            run.id, outcome="error", entity=None, after=0, limit=50
        )
        errors = [(line.key.ledger_key, line.message) for line in page.lines] if page else []
        assert done.status == "succeeded", (done, errors)

    async def count(self, table: str, **where: Any) -> int:
        t = getattr(self.tables, table)
        query = select(func.count()).select_from(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        async with self.ixhaus.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def rows(self, table: str, **where: Any) -> list[Any]:
        t = getattr(self.tables, table)
        query = select(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        async with self.ixhaus.connect() as conn:
            return list((await conn.execute(query)).all())

    async def tenant(self) -> dict[str, str]:
        """A renter casavi got from the gateway, with the unit, object and a ticket type."""
        types = [t async for t in self.casavi.ticket_types.list() if t.tenant_creatable]
        async for contact in self.casavi.contacts.list():
            for contract in contact.contracts:
                if contract.type == "RENTER" and contract.unit_id:
                    return {
                        "contactId": contact.id,
                        "propertyId": contract.property_id,
                        "unitId": contract.unit_id,
                        "ticketTypeId": types[0].id,
                    }
        raise AssertionError("no renter in casavi")

    async def open_ticket(self, subject: str = "Wasserhahn tropft", **extra: Any) -> str:
        body = {**(await self.tenant()), "subject": subject, "description": "Küche", **extra}
        return str((await self.sim.tenant("POST", "/tickets", json=body))["id"])

    async def ticket_no(self, casavi_id: str) -> TicketNumber | None:
        rows = await self.rows("tickets", source_ref=casavi_id)
        return TicketNumber(int(rows[0].ticket_no)) if rows else None

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], seconds: float = PATIENCE_SECONDS
    ) -> None:
        deadline = time.monotonic() + seconds
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    async def settled(self) -> bool:
        """Every stored event is processed (done, parked or discarded)."""
        return not await self.inbox("received")

    async def inbox(self, status: str | None = None) -> list[Any]:
        return await self.services.inbox.list("test", status=status, limit=10_000)


@asynccontextmanager
async def wired(
    state_url: str, ixhaus_url: str, sim: SimHandle, sent: Snapshot | None
) -> AsyncIterator[Inbound]:
    """The test system on the gateway state at ``state_url`` (migrated), master data sent:
    ``sent`` restored (``sim`` runs on its copy of the simulator's state), or a real outbound
    run when it is None."""
    engine = create_engine(state_url)
    sessions = create_session_factory(engine)
    await reset_state(sessions)
    ixhaus = create_engine(normalise_database_url(ixhaus_url))
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        await ConfigRows(session, box).patch(
            "test",
            {
                **sandbox_config_patch("small"),
                # Documents are not what these tests are about (the sandbox keeps no files here).
                "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                "active": True,
                "casavi": {"baseUrl": sim.base_url},
                # The optional fast path is under test here (the default is poll only).
                "inbound": {"callbacksEnabled": True},
                "secrets": {
                    "ixhausDatabaseUrl": _twice(ixhaus_url),
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                    "callbackSecret": _twice(CALLBACK_SECRET),
                },
            },
            "test",
        )
    services = build_services(sessions, box, FakeQueue(), transport=sim.transport)
    config = CasaviClientConfig(
        base_url=sim.base_url, key=SANDBOX_KEY, secret=SANDBOX_SECRET, retry=FAST_RETRY
    )
    client = CasaviClient(config, transport=sim.transport() if sim.transport else None)
    handle = Inbound(sessions, services, box, ixhaus, IxhausTables(), sim, client)
    try:
        if sent is None:
            await handle.outbound_run()  # master data (and the ledger) as casavi got it from us
        else:
            await sent.restore(sessions)
        yield handle
    finally:
        await client.aclose()
        await services.aclose()
        await reset_state(sessions)
        await ixhaus.dispose()
        await engine.dispose()


async def _first_export(state_url: str, ixhaus_url: str, casavi_state: Path) -> Snapshot:
    async with (
        serve_simulator(casavi_state, in_process=True) as sim,
        wired(state_url, ixhaus_url, sim, None) as it,
    ):
        await flush_own_writes()  # the run's own casavi writes, buffered, into the inbox
        sent = await take(it.sessions, {m.__tablename__ for m in STATE}, casavi_state)
    return sent  # the simulator has stopped and closed its state file


@pytest.fixture(scope="module")
def first_export(
    migrated_pg: str, ixhaus_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Snapshot:
    """The module's portfolio sent to a simulator once, by a real outbound run."""
    folder = tmp_path_factory.mktemp("first-export")
    return asyncio.run(_first_export(migrated_pg, ixhaus_url, folder / "casavi.db"))


@pytest.fixture
def casavi_in_process() -> bool:
    """Whether the test's simulator is served in process (a test or module that neither
    serves the gateway nor starts workers overrides this)."""
    return False


@pytest.fixture
async def sent_simulator(
    first_export: Snapshot, tmp_path: Path, casavi_in_process: bool
) -> AsyncIterator[SimHandle]:
    """The casavi simulator holding what the first export sent."""
    state = first_export.casavi_copy(tmp_path)
    async with serve_simulator(state, in_process=casavi_in_process) as handle:
        yield handle


@pytest.fixture
async def inbound(
    migrated_pg: str, ixhaus_url: str, sent_simulator: SimHandle, first_export: Snapshot
) -> AsyncIterator[Inbound]:
    async with wired(migrated_pg, ixhaus_url, sent_simulator, first_export) as handle:
        yield handle


@pytest.fixture
async def inbound_sqlite(
    tmp_path: Path, ixhaus_url: str, sent_simulator: SimHandle, first_export: Snapshot
) -> AsyncIterator[Inbound]:
    """The same on the embedded default: the gateway's state in SQLite."""
    from app.adapters.store import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    async with wired(url, ixhaus_url, sent_simulator, first_export) as handle:
        yield handle


def gateway_settings(migrated_pg: str, **extra: str) -> Settings:
    return load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY, **extra})


@pytest.fixture
async def gateway(
    migrated_pg: str, inbound: Inbound
) -> AsyncIterator[tuple[ServerThread, httpx.AsyncClient]]:
    """The gateway's HTTP app (in-process jobs) on loopback; casavi's callbacks go to it."""
    thread = ServerThread(create_app(gateway_settings(migrated_pg))).start()
    await inbound.sim.callbacks_to(callback_url(thread.base_url), CALLBACK_SECRET)
    try:
        async with httpx.AsyncClient(base_url=thread.base_url) as http:
            yield thread, http
    finally:
        thread.stop()


def callback_url(base_url: str) -> str:
    return f"{base_url}/api/v1/systems/test/callbacks/casavi"


def start_worker(settings: Settings, log_path: Path, **env: str) -> subprocess.Popen[bytes]:
    """``portal-gateway worker`` as its own process, as an operator runs it."""
    environ = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": str(settings.redis_url),
        "ARQ_QUEUE_NAME": settings.arq_queue_name,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "ARQ_POLL_DELAY": "0.05",
        "INBOUND_SWEEP_SECONDS": "1",
        "INBOUND_LEASE_SECONDS": "3",
        "INBOUND_POLL_TICK_SECONDS": "1",
        **env,
    }
    with log_path.open("ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=log,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
