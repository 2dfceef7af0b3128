"""Issue 23 item 8: a gateway database that stops answering gives 503 within
``DATABASE_CONNECT_TIMEOUT_SECONDS`` + 1 s on every path.

The pool pings a connection that sat idle before handing it out; that ping used to wait for
the statement timeout (``DATABASE_COMMAND_TIMEOUT_SECONDS``, 30 s by default) on a server that
stopped answering, then the reconnect for the connect timeout: 37 s. Here the statement
timeout is ten minutes, so a ping bounded by it would hang the test; the ping has its own
short timeout, and every path answers well within its guard. The database is PostgreSQL
behind a TCP proxy that the test cuts (a partition: nothing gets through, nothing is
refused).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url

from app.adapters.docuware.webhook import SIGNATURE_HEADER as DW_SIGNATURE
from app.asgi import create_app
from app.environment import load_settings
from tests.support.faultproxy import ThreadedFaultProxy

pytestmark = pytest.mark.fault

CONNECT_TIMEOUT_SECONDS = 1
# A hang guard, far below the ten-minute statement timeout a ping used to wait for; what
# each path took is in the assertion message (the promise is connect timeout + 1 s = 2 s).
HANG_GUARD_SECONDS = 15
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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
    url = make_url(migrated_pg).set(port=proxy.port)
    settings = load_settings(
        {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "DATABASE_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT_SECONDS),
            "DATABASE_COMMAND_TIMEOUT_SECONDS": "600",
        }
    )
    app: Litestar = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            yield http
    finally:
        for hook in app.on_shutdown:
            await hook(app)  # type: ignore[call-arg,misc]


async def test_every_path_answers_within_the_connect_timeout_when_the_database_goes_silent(
    client: httpx.AsyncClient, proxy: ThreadedFaultProxy, admin_key: str
) -> None:
    # issue 23 item 8. Healthy first: pooled connections are open through the proxy, and an
    # operator is signed in to the console.
    key = {"X-API-Key": admin_key}
    assert (await client.get("/api/v1/api-keys", headers=key)).status_code == 200
    token_match = CSRF.search((await client.get("/console/signin")).text)
    assert token_match is not None
    token = token_match.group(1)
    signed_in = await client.post(
        "/console/signin", data={"csrf_token": token, "api_key": admin_key}
    )
    assert signed_in.status_code == 303
    operator_token_match = CSRF.search((await client.get("/console")).text)
    assert operator_token_match is not None

    proxy.cut("blackhole")
    # The pooled connections now sit idle: the next checkout pings them.
    await asyncio.sleep(1.5)

    body = b'{"DWDOCID": 1}'
    paths: dict[str, tuple[str, str, dict[str, object]]] = {
        "api keys (the key is cached; the listing reads)": (
            "GET",
            "/api/v1/api-keys",
            {"headers": key},
        ),
        "sync runs": ("GET", "/api/v1/sync-runs", {"headers": key}),
        "configuration": ("GET", "/api/v1/systems/test/config", {"headers": key}),
        "portal status": (
            "GET",
            "/api/v1/systems/test/tickets/1/portal-status",
            {"headers": key},
        ),
        "an unknown key (looked up)": (
            "GET",
            "/api/v1/sync-runs",
            {"headers": {"X-API-Key": "pgw_00000000_" + "x" * 43}},
        ),
        "casavi callback": (
            "POST",
            "/api/v1/systems/test/callbacks/casavi",
            {"content": b"{}", "headers": {"X-Casavi-Signature": "t=1,v1=00"}},
        ),
        "docuware webhook": (
            "POST",
            "/api/v1/systems/test/callbacks/docuware",
            {"content": body, "headers": {DW_SIGNATURE: "0" * 128}},
        ),
        "console page": ("GET", "/console", {}),
        "readiness": ("GET", "/health/ready", {}),
    }

    async def timed(method: str, path: str, kwargs: dict[str, object]) -> tuple[int, float]:
        start = time.monotonic()
        response = await asyncio.wait_for(
            client.request(method, path, **kwargs),  # type: ignore[arg-type]
            HANG_GUARD_SECONDS,
        )
        return response.status_code, time.monotonic() - start

    results = await asyncio.gather(*(timed(*request) for request in paths.values()))
    answered = dict(zip(paths, results, strict=True))
    assert {name: status for name, (status, _) in answered.items()} == dict.fromkeys(paths, 503), (
        answered
    )
    # Metrics still answer (their request counts), without the figures read from the database.
    status, _ = await timed("GET", "/metrics", {})
    assert status == 200

    proxy.restore()
    assert (await client.get("/api/v1/sync-runs", headers=key)).status_code == 200
