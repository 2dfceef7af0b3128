"""Issue 19 item 6: console sessions in a shared store. Two real API processes
(``portal-gateway serve``) without sticky sessions: a session opened on one works on the
other, signing out or revoking the key on one ends it on both at once; on the gateway's
database (no Redis) and on Redis. The database store itself on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.adapters.store import migrate
from app.adapters.store.console_sessions import DatabaseStore
from app.adapters.store.database import create_engine
from app.configuration.secrets import new_key
from app.domain.calendar import utcnow
from app.environment import normalise_database_url
from tests.e2e.console.conftest import _key, csrf_of, run_apart
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[3]


def _wait_ready(base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health/live", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(log.read_text())


@pytest.fixture(scope="module", params=["database", "redis"])
def two_processes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[tuple[str, str, str]]:
    """Two API processes on one state (and one Redis for the redis variant): their base
    URLs and the state's URL."""
    tmp_path = tmp_path_factory.mktemp("two-processes")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url, GATEWAY_SECRET_KEY=new_key())
    if request.param == "redis":
        env["REDIS_URL"] = redis_url
        env["ARQ_QUEUE_NAME"] = f"console-test-{os.getpid()}"
    migrate.upgrade(database_url)
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs = [tmp_path / "serve-a.log", tmp_path / "serve-b.log"]
    try:
        for log in logs:
            port = free_port()
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                        cwd=tmp_path,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, log in zip(urls, logs, strict=True):
            _wait_ready(url, log)
        yield urls[0], urls[1], database_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def _cookie_on(client: httpx.Client, name: str) -> str:
    value = client.cookies.get(name)
    assert value is not None
    return value


def test_a_session_opened_on_one_process_works_on_the_other_and_ends_on_both(
    two_processes: tuple[str, str, str],
) -> None:
    a, b, database_url = two_processes
    key = run_apart(_key(database_url, f"ops-{uuid.uuid4().hex[:6]}", "admin"))
    with httpx.Client(base_url=a) as on_a:
        # The sign-in form comes from A, the POST goes to B (no sticky sessions).
        token = csrf_of(on_a.get("/console/signin").text)
        form_cookie = _cookie_on(on_a, "pgw_console_form")
        with httpx.Client(base_url=b, cookies={"pgw_console_form": form_cookie}) as on_b:
            signed_in = on_b.post("/console/signin", data={"csrf_token": token, "api_key": key})
            assert signed_in.status_code == 303
            session = _cookie_on(on_b, "pgw_console")
        on_a.cookies.set("pgw_console", session, path="/console")
        assert on_a.get("/console").status_code == 200
        with httpx.Client(base_url=b, cookies={"pgw_console": session}) as on_b:
            page = on_b.get("/console")
            assert page.status_code == 200
            # Signing out on B ends the session on A at once.
            signed_out = on_b.post("/console/signout", data={"csrf_token": csrf_of(page.text)})
            assert signed_out.status_code == 303
        assert on_a.get("/console").status_code == 401


def test_revoking_the_key_on_one_process_ends_its_sessions_on_the_other_at_once(
    two_processes: tuple[str, str, str],
) -> None:
    a, b, database_url = two_processes
    name = f"ops-{uuid.uuid4().hex[:6]}"
    key = run_apart(_key(database_url, name, "admin"))
    with httpx.Client(base_url=a) as on_a:
        token = csrf_of(on_a.get("/console/signin").text)
        assert (
            on_a.post("/console/signin", data={"csrf_token": token, "api_key": key}).status_code
            == 303
        )
        assert on_a.get("/console/protocol").status_code == 200
        revoked = httpx.post(f"{b}/api/v1/api-keys/{name}/revoke", headers={"X-API-Key": key})
        assert revoked.status_code == 200
        assert on_a.get("/console/protocol").status_code == 401


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_database_store_expires_renews_and_takes_once(
    backend: str, tmp_path: Path, pg_database: str
) -> None:
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 's.db'}"
        if backend == "sqlite"
        else normalise_database_url(pg_database)
    )
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    now = utcnow()
    store = DatabaseStore(engine, clock=lambda: now)
    try:
        await store.delete_all()
        await store.set("s1", b"one", expires_in=dt.timedelta(minutes=30))
        assert await store.get("s1") == b"one"
        assert await store.expires_in("s1") == 1800
        # Touched 20 minutes later, it lives 30 minutes from then.
        store.clock = lambda: now + dt.timedelta(minutes=20)
        assert await store.get("s1", renew_for=dt.timedelta(minutes=30)) == b"one"
        store.clock = lambda: now + dt.timedelta(minutes=49)
        assert await store.exists("s1")
        store.clock = lambda: now + dt.timedelta(minutes=51)
        assert await store.get("s1") is None
        await store.set("link", b"demo", expires_in=60)
        assert await store.take("link") == b"demo"
        assert await store.take("link") is None
        await store.set("s2", "two")
        await store.delete("s2")
        assert await store.get("s2") is None
    finally:
        await engine.dispose()
