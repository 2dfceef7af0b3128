"""The HTTP app over fakes: ``create_app`` composed with the services of ``tests/fakes.py``
(the ``gateway`` fixture of this folder's conftest).

The app is the real one (routes, guards, problem details, middleware); only what the
composition root would build (``compose``) is given. Its own state is SQLite in memory, for
the API keys the guard checks (and the alerts' tables). No socket, no subprocess: the fast
loop runs these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import app.adapters.store.models  # noqa: F401  (the tables of the metadata)
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.base import Base
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.domain.config import SyncConfig, ranges
from app.domain.keys import TicketNumber
from app.domain.records import NoteRecord, TicketRecord, TicketTypeRecord, UserRecord
from app.environment import Settings
from app.sync.context import SystemAdapters
from app.sync.ports import JobQueue, SystemSettings
from app.sync.services import Services
from app.sync.stores import TwoWay
from tests.fakes import (
    NOW,
    FakeArchive,
    FakeConfigs,
    FakeConflicts,
    FakeInbox,
    FakeLedger,
    FakeNoteLinks,
    FakePortal,
    FakePortalActivity,
    FakePortalStates,
    FakeQueue,
    FakeRuns,
    FakeSource,
    FakeWriter,
    fake_contexts,
    fake_services,
)
from tests.support.asgi import IN_PROCESS, asgi_transport

CONFIG = SyncConfig(object_range=ranges("1001"), ticket_user_no="900")


def ticket(number: int, **fields: Any) -> TicketRecord:
    values: dict[str, Any] = {
        "type_no": "10",
        "subject": "Heizung fällt aus",
        "object_no": "1001",
        "reported_at": NOW - dt.timedelta(days=3),
        "responsible_user_no": "001",
        "status_no": "1",
        **fields,
    }
    return TicketRecord(number=TicketNumber(number), **values)


@dataclass
class Gateway:
    """The app's client with both keys, and the fakes behind it."""

    client: httpx.AsyncClient
    services: Services
    sessions: async_sessionmaker[AsyncSession]
    source: FakeSource
    portal: FakePortal
    writer: FakeWriter
    configs: FakeConfigs
    runs: FakeRuns
    queue: FakeQueue
    ledger: FakeLedger
    states: FakePortalStates
    conflicts: FakeConflicts
    activity: FakePortalActivity
    note_links: FakeNoteLinks
    inbox: FakeInbox
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, scope: str = "ixhaus") -> dict[str, str]:
        return {"X-API-Key": self.keys[scope]}


class Adapters:
    """One source, portal and writer for every configuration version (a test looks at them)."""

    def __init__(self, source: FakeSource, portal: FakePortal, writer: FakeWriter) -> None:
        self.source, self.portal, self.writer = source, portal, writer

    async def __call__(self, settings: SystemSettings) -> SystemAdapters:
        async def close() -> None:
            return None

        return SystemAdapters(
            source=self.source, writer=self.writer, portal=self.portal, close=close
        )


@dataclass
class _App:
    app: Litestar
    sessions: async_sessionmaker[AsyncSession]
    keys: dict[str, str]


_BUILT: list[_App] = []


async def _app(services: Services) -> _App:
    """The app, built once for the test session (building one costs about 0.5 s, mostly its
    OpenAPI document): its routes read the services from its state, where each test puts its
    own fakes. No lifespan runs (no alert loop, no scheduler)."""
    if not _BUILT:
        sessions: list[async_sessionmaker[AsyncSession]] = []

        def compose(
            session_factory: async_sessionmaker[AsyncSession], _box: SecretBox, _queue: JobQueue
        ) -> Services:
            sessions.append(session_factory)
            return services

        app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"), compose=compose)
        async with app.state.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        keys: dict[str, str] = {}
        async with sessions[0]() as session:
            for scope in ("ixhaus", "admin"):
                _, keys[scope] = await ApiKeyRepository(session).create(f"{scope}-key", scope)
            await session.commit()
        _BUILT.append(_App(app, sessions[0], keys))
    built = _BUILT[0]
    built.app.state.services = services
    return built


@asynccontextmanager
async def open_gateway() -> AsyncIterator[Gateway]:
    source = FakeSource(
        users=[UserRecord(number="001", email="a@example.org"), UserRecord(number="900")],
        ticket_types=[TicketTypeRecord(number="10", name="Schaden")],
        tickets=[ticket(1), ticket(3, object_no="9999")],  # 3: object not enabled
        notes=[
            NoteRecord(
                id=1,
                ticket_no=TicketNumber(1),
                created_at=NOW,
                content="Antwort",
                author_user_no="001",
            )
        ],
    )
    portal, writer, configs = FakePortal(), FakeWriter(), FakeConfigs(CONFIG)
    ledger, states, runs, queue = FakeLedger(), FakePortalStates(), FakeRuns(), FakeQueue()
    two_way = TwoWay(FakeNoteLinks(), FakeConflicts(), FakePortalActivity(), ledger, FakeArchive())
    contexts = fake_contexts(configs, Adapters(source, portal, writer), ledger, states, two_way)
    services = fake_services(contexts, runs=runs, queue=queue, configs=configs)
    built = await _app(services)
    transport = asgi_transport(built.app)
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS) as client:
        yield Gateway(
            client=client,
            services=services,
            sessions=built.sessions,
            source=source,
            portal=portal,
            writer=writer,
            configs=configs,
            runs=runs,
            queue=queue,
            ledger=ledger,
            states=states,
            conflicts=two_way.conflicts,  # type: ignore[arg-type]
            activity=two_way.portal_activity,  # type: ignore[arg-type]
            note_links=two_way.note_links,  # type: ignore[arg-type]
            inbox=services.inbox,  # type: ignore[arg-type]
            keys=built.keys,
        )


PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of a refused request (its status, type, title and instance)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:portal-gateway:problem:")
    assert body["title"]
    assert body["instance"] == response.request.url.path
    return body


def fields_of(body: dict[str, Any]) -> list[str | None]:
    return [error["field"] for error in body.get("errors", [])]
