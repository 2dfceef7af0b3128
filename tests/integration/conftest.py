"""Fixtures for tests against the real PostgreSQL and Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.asgi import create_app
from app.environment import Settings, load_settings
from tests.support.backends import backend_url, migrated_sqlite  # noqa: F401 - fixtures
from tests.support.parallel import free_port


@pytest.fixture(scope="session")
def migrated_pg(pg_database: str) -> str:
    """The session's PostgreSQL database, upgraded to head; an async SQLAlchemy URL."""
    url = load_settings({"DATABASE_URL": pg_database}).database_url
    migrate.upgrade(url)
    return url


@pytest.fixture
def queue_name() -> str:
    return f"pgw-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(migrated_pg: str, queue_name: str) -> Settings:
    """Gateway settings on PostgreSQL with in-process jobs (no Redis)."""
    return load_settings({"DATABASE_URL": migrated_pg, "ARQ_QUEUE_NAME": queue_name})


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def _create_key(database_url: str, scope: str) -> str:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create(
                f"{scope}-{uuid.uuid4().hex[:8]}", scope
            )
            await session.commit()
            return key
    finally:
        await engine.dispose()


@pytest.fixture
async def admin_key(migrated_pg: str) -> str:
    return await _create_key(migrated_pg, "admin")


@pytest.fixture
async def ixhaus_key(migrated_pg: str) -> str:
    return await _create_key(migrated_pg, "ixhaus")


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""

    port = free_port()
    return port
