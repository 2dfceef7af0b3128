"""Outbound sync fixtures: an activated test system over a private sandbox portfolio."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.factories import open_system_adapters
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import (
    ConfigChange,
    EntityLink,
    FieldConflict,
    NoteLink,
    ProtocolEntry,
    SyncRun,
    SystemConfig,
    SystemSecret,
    TicketFieldBase,
    TicketPortalState,
)
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.sandbox.config import sandbox_config_patch
from app.sync.context import SystemAdapters
from app.sync.ports import Portal, SyncRunInfo, SystemSettings
from app.sync.runs import execute_run
from app.sync.services import Services
from tests.conftest import seeded_ixhaus_database
from tests.fakes import FakeQueue

SECRET_KEY = base64.urlsafe_b64encode(b"outbound-test-key-0123456789abcd").decode()


@pytest.fixture(scope="module")
def ixhaus_url() -> Iterator[str]:
    with seeded_ixhaus_database() as url:
        yield url


def services_with(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, portal: Portal
) -> Services:
    """The real composition, with the real iX-Haus adapters and ``portal`` as casavi."""

    async def adapters(settings: SystemSettings) -> SystemAdapters:
        real = await open_system_adapters(settings)
        return SystemAdapters(
            source=real.source, writer=real.writer, portal=portal, close=real.close
        )

    return build_services(sessions, box, FakeQueue(), adapters=adapters)


async def run_once(services: Services) -> SyncRunInfo:
    """Request a run of the test system and execute it as the job would."""
    run, _ = await services.runs.request("test", trigger="test", requested_by="test")
    await execute_run(services, run.id)
    done = await services.runs.get(run.id)
    assert done is not None
    return done


@pytest.fixture
async def sessions(migrated_pg: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_pg)
    factory = create_session_factory(engine)
    await reset_state(factory)
    try:
        yield factory
    finally:
        # No other test may meet an active system (it would try to sync).
        await reset_state(factory)
        await engine.dispose()


async def reset_state(factory: async_sessionmaker[AsyncSession]) -> None:
    models = (
        ProtocolEntry,
        SyncRun,
        EntityLink,
        TicketPortalState,
        NoteLink,
        TicketFieldBase,
        FieldConflict,
        SystemSecret,
        ConfigChange,
    )
    async with factory() as session:
        for model in models:
            await session.execute(delete(model))
        await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
        await session.commit()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def point_at_simulator(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, base_url: str
) -> None:
    """The test system talks to the casavi simulator at ``base_url`` with its sandbox
    credentials; no document types (there is no document store in these tests)."""
    from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET

    async with sessions() as session:
        await ConfigRows(session, box).patch(
            "test",
            {
                "casavi": {"baseUrl": base_url},
                "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )


@pytest.fixture
async def active_test_system(
    sessions: async_sessionmaker[AsyncSession], ixhaus_url: str
) -> SecretBox:
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        await ConfigRows(session, box).patch(
            "test",
            {
                **sandbox_config_patch("small"),
                "active": True,
                "casavi": {"baseUrl": "http://127.0.0.1:9"},
                "secrets": {
                    "ixhausDatabaseUrl": _twice(ixhaus_url),
                    "casaviApiKey": _twice("key"),
                    "casaviSecret": _twice("secret"),
                },
            },
            "test",
        )
    return box
