"""Issue 10 item 6: an outage of the gateway's own database gives quick 503 problems, and
the API answers again once the database is back.

The gateway talks to the shared PostgreSQL through a TCP proxy that the test cuts: either
as a partition (nothing gets through, nothing is refused) or as a crash (every connection
reset, new ones refused).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url

from app.asgi import create_app
from app.environment import load_settings
from tests.support.faultproxy import Mode, ThreadedFaultProxy

pytestmark = pytest.mark.fault

# Generous guard against a hang: the drivers' defaults wait 60 s (asyncpg connect) or
# forever (a statement on a partitioned connection). Not a timing assertion.
HANG_GUARD_SECONDS = 20
CONCURRENT = 12


@pytest.fixture
def proxy(migrated_pg: str) -> Iterator[ThreadedFaultProxy]:
    url = make_url(migrated_pg)
    fault_proxy = ThreadedFaultProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield fault_proxy
    finally:
        fault_proxy.close()


@pytest.fixture
async def client(migrated_pg: str, proxy: ThreadedFaultProxy) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the proxied database, driven concurrently on this test's event loop."""
    url = make_url(migrated_pg).set(port=proxy.port)
    settings = load_settings(
        {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "DATABASE_CONNECT_TIMEOUT_SECONDS": "1",
            "DATABASE_COMMAND_TIMEOUT_SECONDS": "1",
        }
    )
    app: Litestar = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http
    finally:
        for hook in app.on_shutdown:
            await hook(app)  # type: ignore[call-arg,misc]


async def _burst(client: httpx.AsyncClient, key: str) -> list[tuple[int, str]]:
    async def one() -> tuple[int, str]:
        response = await client.get("/api/v1/api-keys", headers={"X-API-Key": key})
        return response.status_code, response.headers.get("content-type", "")

    return await asyncio.wait_for(
        asyncio.gather(*(one() for _ in range(CONCURRENT))), HANG_GUARD_SECONDS
    )


@pytest.mark.parametrize("mode", ["blackhole", "reset"])
async def test_database_outage_gives_503_problems_then_recovers(
    client: httpx.AsyncClient,
    proxy: ThreadedFaultProxy,
    admin_key: str,
    mode: Mode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # issue 10 item 6. Healthy, with pooled connections open through the proxy.
    assert {status for status, _ in await _burst(client, admin_key)} == {200}

    proxy.cut(mode)
    with caplog.at_level(logging.WARNING):
        during = await _burst(client, admin_key)
    assert {status for status, _ in during} == {503}
    assert all(kind.startswith("application/problem+json") for _, kind in during)
    response = await client.get("/api/v1/api-keys", headers={"X-API-Key": admin_key})
    problem = response.json()
    assert problem["type"] == "urn:portal-gateway:problem:dependency-unavailable"
    assert problem["status"] == 503
    assert int(response.headers["retry-after"]) > 0
    assert (await client.get("/health/ready")).status_code == 503

    proxy.restore()
    after = await _burst(client, admin_key)
    assert {status for status, _ in after} == {200}
    assert (await client.get("/health/ready")).status_code == 200
    # An outage is not a bug: warnings, not errors (nor tracebacks with connection details).
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
