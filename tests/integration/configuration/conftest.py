"""Fixtures for the configuration tests: a clean pair of systems and a secret-leak scan."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, update

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ConfigChange, SystemConfig, SystemSecret
from app.asgi import create_app
from app.environment import Settings, load_settings
from tests.leakcheck import SecretLeakCheck

# Fixed, so that every import of this module (pytest loads conftests on its own) agrees.
SECRET_KEY = base64.urlsafe_b64encode(b"gateway-test-key-0123456789abcde").decode()


@pytest.fixture(scope="module")
def leak_check() -> Iterator[SecretLeakCheck]:
    check = SecretLeakCheck()
    with check.capturing_logs():
        yield check
    assert check.captured, "the leak check saw nothing; it would not catch a leak"
    assert check.leaks() == [], f"secret values leaked into logs or responses: {check.leaks()}"


async def reset_systems(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(delete(SystemSecret))
            await session.execute(delete(ConfigChange))
            await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
async def clean_systems(migrated_pg: str) -> AsyncIterator[None]:
    # Before and after: no other test may meet an active system (it would try to sync).
    await reset_systems(migrated_pg)
    yield
    await reset_systems(migrated_pg)


@pytest.fixture
def settings(migrated_pg: str) -> Settings:
    return load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})


class RecordingClient:
    """An API client that hands every response to the leak check."""

    def __init__(self, client: AsyncTestClient[Litestar], key: str, leak_check: SecretLeakCheck):
        self._client = client
        self._headers = {"X-API-Key": key}
        self._leak_check = leak_check

    async def request(self, method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = await self._client.request(method, path, headers=self._headers, **kwargs)  # type: ignore[arg-type]
        self._leak_check.seen(response)
        return response

    async def get(self, path: str):  # type: ignore[no-untyped-def]
        return await self.request("GET", path)

    async def put(self, path: str, body: object):  # type: ignore[no-untyped-def]
        return await self.request("PUT", path, json=body)

    async def patch(self, path: str, body: object):  # type: ignore[no-untyped-def]
        return await self.request("PATCH", path, json=body)

    async def post(self, path: str):  # type: ignore[no-untyped-def]
        return await self.request("POST", path)


async def recording_client(
    app: Litestar, key: str, leak_check: SecretLeakCheck
) -> AsyncIterator[RecordingClient]:
    async with AsyncTestClient(app) as client:
        yield RecordingClient(client, key, leak_check)


@pytest.fixture
async def admin(
    settings: Settings, admin_key: str, leak_check: SecretLeakCheck
) -> AsyncIterator[RecordingClient]:
    leak_check.use(admin_key)  # API keys must not reach a log line or a response either
    async for client in recording_client(create_app(settings), admin_key, leak_check):
        yield client


def unique_secret(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex}"
