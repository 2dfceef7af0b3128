"""Issue 23, break 1: cookie-less requests to the sign-in page create no session, and a flood
of them never signs an operator out (the old per-process store evicted the least recently
seen session, signed in or not, once 10,000 anonymous sessions had piled up)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.asgi import create_app
from app.configuration.secrets import new_key
from app.environment import load_settings

FLOOD = 10_000
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _admin_key(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create("ops", "admin")
            await session.commit()
            return key
    finally:
        await engine.dispose()


@pytest.fixture(params=["database", "redis"])
async def app_and_key(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> AsyncIterator[tuple[Litestar, str]]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(migrate.upgrade, database_url)
    key = await _admin_key(database_url)
    environ = {"DATABASE_URL": database_url, "GATEWAY_SECRET_KEY": new_key()}
    if request.param == "redis":
        environ["REDIS_URL"] = redis_url
    app = create_app(load_settings(environ))
    try:
        yield app, key
    finally:
        for handler in app.on_shutdown:
            await handler(app)  # type: ignore[call-arg]


async def test_a_flood_of_anonymous_sign_in_pages_creates_no_session_and_signs_no_one_out(
    app_and_key: tuple[Litestar, str],
) -> None:
    app, key = app_and_key
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as operator:
        page = await operator.get("/console/signin")
        token = CSRF.search(page.text)
        assert token is not None
        signed_in = await operator.post(
            "/console/signin", data={"csrf_token": token.group(1), "api_key": key}
        )
        assert signed_in.status_code == 303
        assert (await operator.get("/console")).status_code == 200
        session_cookies = 0
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as anonymous:
            for _ in range(FLOOD):
                answer = await anonymous.get("/console/signin")
                assert answer.status_code == 200
                session_cookies += "pgw_console=" in answer.headers.get("set-cookie", "")
                anonymous.cookies.clear()
        # The operator is still signed in, and no anonymous request got a session.
        assert (await operator.get("/console")).status_code == 200
        assert session_cookies == 0
