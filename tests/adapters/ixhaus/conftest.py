"""Engines for the iX-Haus adapter tests: PostgreSQL (session database) and SQLite files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.environment import normalise_database_url


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # Sync fixture: pg_database creates its database with asyncio.run().
    if request.param == "postgresql":
        return normalise_database_url(request.getfixturevalue("pg_database"))
    return f"sqlite+aiosqlite:///{tmp_path / 'ixhaus.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(database_url)
    try:
        yield eng
    finally:
        await eng.dispose()
