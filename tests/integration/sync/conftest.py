"""Outbound sync fixtures: an activated test system over a private sandbox portfolio."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import (
    ConfigChange,
    EntityLink,
    ProtocolEntry,
    SyncRun,
    SystemConfig,
    SystemSecret,
    TicketPortalState,
)
from app.configuration.secrets import SecretBox
from app.configuration.service import ConfigService
from app.sandbox.config import sandbox_config_patch
from app.sync.run_outbound import CasaviAccess
from tests.conftest import seeded_ixhaus_database

SECRET_KEY = base64.urlsafe_b64encode(b"outbound-test-key-0123456789abcd").decode()


@pytest.fixture(scope="module")
def ixhaus_url() -> Iterator[str]:
    with seeded_ixhaus_database() as url:
        yield url


class FakePortal:
    """casavi as a dict: what was put and removed, with an optional failing key."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Any] = {}
        self.puts: list[tuple[str, str]] = []
        self.removes: list[tuple[str, str]] = []
        self.fail_keys: set[str] = set()

    async def put(self, entity: str, key: str, record: Any, *, exists: bool = False) -> str:
        if key in self.fail_keys:
            raise RuntimeError("casavi said no")
        self.records[(entity, key)] = record
        self.puts.append((entity, key))
        return key

    async def remove(self, entity: str, key: str) -> None:
        self.records.pop((entity, key), None)
        self.removes.append((entity, key))

    def factory(self, access: CasaviAccess) -> Any:
        @asynccontextmanager
        async def open_portal() -> AsyncIterator[FakePortal]:
            yield self

        return open_portal()


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
    models = (ProtocolEntry, SyncRun, EntityLink, TicketPortalState, SystemSecret, ConfigChange)
    async with factory() as session:
        for model in models:
            await session.execute(delete(model))
        await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
        await session.commit()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
async def active_test_system(
    sessions: async_sessionmaker[AsyncSession], ixhaus_url: str
) -> SecretBox:
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        await ConfigService(session, box).patch(
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
