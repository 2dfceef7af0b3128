"""Shared fixtures: real PostgreSQL and Redis on loopback, one throwaway database per session.

Override the servers with TEST_PG_ADMIN_URL (an asyncpg DSN to a database we may CREATE
DATABASE from) and TEST_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session; a plain postgresql:// URL."""
    name = f"pgw_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(PG_ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (migration tests)."""
    name = f"pgw_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(PG_ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@contextmanager
def seeded_ixhaus_database(profile: str = "small", seed: int = 1) -> Iterator[str]:
    """A throwaway PostgreSQL database holding an iX-Haus sandbox portfolio."""
    from app.sandbox.ixhaus import seed_database

    name = f"pgw_ixhaus_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = _with_database(PG_ADMIN_URL, name)
    try:
        asyncio.run(seed_database(url, profile, seed))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def ixhaus_sandbox_pg() -> Iterator[str]:
    """The `small` iX-Haus sandbox portfolio (seed 1), read-only for the whole session."""
    with seeded_ixhaus_database() as url:
        yield url
