"""The gateway's own database on both backends it promises: SQLite (the embedded default)
and PostgreSQL. ``tests/integration/conftest.py`` offers the fixtures: a test that takes
``backend_url`` runs once per backend."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.environment import load_settings


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite state file for this test session, upgraded to head."""
    path: Path = tmp_path_factory.mktemp("sqlite-state") / "state.db"
    url = load_settings({"DATABASE_URL": f"sqlite:///{path}"}).database_url
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest) -> str:
    """The gateway's database URL, once per backend (both migrated to head)."""
    fixture = "migrated_sqlite" if request.param == "sqlite" else "migrated_pg"
    url: str = request.getfixturevalue(fixture)
    return url


async def create_key(database_url: str, scope: str, name: str | None = None) -> str:
    """A fresh API key of ``scope``; the plaintext key."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create(
                name or f"{scope}-{uuid.uuid4().hex[:8]}", scope
            )
            await session.commit()
            return key
    finally:
        await engine.dispose()


async def revoke_key(database_url: str, name: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await ApiKeyRepository(session).revoke(name)
            await session.commit()
    finally:
        await engine.dispose()
