"""One run per system on every backend, dropped jobs, honest outcomes (issues 10 and 13).

Real PostgreSQL, SQLite files, Redis and the casavi simulator (in process).
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import SyncRun
from app.adapters.store.runs import SqlRuns
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.environment import load_settings
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.config import sandbox_config_patch
from app.sync.queue import ArqQueue, arq_redis
from app.sync.runs import request_run
from tests.fakes import FakeQueue
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixture

SECRET_KEY = base64.urlsafe_b64encode(b"run-engine-test-key-0123456789ab").decode()
TRIGGERS = 20


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def _sqlite(tmp_path: Path, name: str = "state.db") -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / name}"
    await asyncio.to_thread(migrate.upgrade, url)
    return url


async def _fail_pending(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.active_system.is_not(None))
                .values(status="failed", active_system=None)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def _run_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(SyncRun)) or 0)
    finally:
        await engine.dispose()


@pytest.mark.fault
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_concurrent_triggers_create_one_run(
    backend: str, tmp_path: Path, migrated_pg: str
) -> None:
    # Four "processes" (engines of their own) trigger five times each, all at once.
    url = await _sqlite(tmp_path) if backend == "sqlite" else migrated_pg
    await _fail_pending(url)
    before = await _run_count(url)
    queue = FakeQueue()
    engines = [create_engine(url) for _ in range(4)]
    try:
        runs = [SqlRuns(create_session_factory(engine)) for engine in engines]
        results = await asyncio.gather(
            *(
                request_run(runs[i % 4], queue, system="test", trigger="api", requested_by=f"t{i}")
                for i in range(TRIGGERS)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert len({run.id for run, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(queue.jobs) == 1
    assert await _run_count(url) == before + 1
    await _fail_pending(url)


async def _embedded_state(tmp_path: Path, ixhaus_url: str, casavi_url: str) -> tuple[str, str]:
    """An embedded gateway (SQLite state) with the test system switched on; (url, key)."""
    url = await _sqlite(tmp_path)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await ConfigRows(session, SecretBox(SECRET_KEY)).patch(
                "test",
                {
                    **sandbox_config_patch("small"),
                    # Documents have a suite of their own; here none are released.
                    "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                    "active": True,
                    "casavi": {"baseUrl": casavi_url},
                    "secrets": {
                        "ixhausDatabaseUrl": _twice(ixhaus_url),
                        "casaviApiKey": _twice(SANDBOX_KEY),
                        "casaviSecret": _twice(SANDBOX_SECRET),
                    },
                },
                "test",
            )
            _, key = await ApiKeyRepository(session).create("trigger", "ixhaus")
            await session.commit()
    finally:
        await engine.dispose()
    return url, key


@pytest.mark.fault
async def test_concurrent_triggers_in_embedded_mode_run_one_real_sync(
    tmp_path: Path,
    ixhaus_sandbox_pg: str,
    simulator: SimHandle,
) -> None:
    # No Redis: jobs run in the API process. casavi answers slowly, so the run is still
    # going while all 20 triggers arrive.
    url, key = await _embedded_state(tmp_path, ixhaus_sandbox_pg, simulator.base_url)
    await simulator.faults(latency_ms=300)
    settings = load_settings({"DATABASE_URL": url, "GATEWAY_SECRET_KEY": SECRET_KEY})
    app = create_app(settings, transport=simulator.transport)
    headers = {"X-API-Key": key}
    async with AsyncTestClient(app) as client:
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/systems/test/sync-runs", headers=headers)
                for _ in range(TRIGGERS)
            )
        )
        assert {r.status_code for r in responses} == {202}
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 1
        run_id = ids.pop()
        # Every trigger is answered: the run need not wait on casavi any more.
        await simulator.faults(latency_ms=0)
        deadline = time.monotonic() + 60
        while True:
            run = (await client.get(f"/api/v1/sync-runs/{run_id}", headers=headers)).json()
            if run["status"] not in ("queued", "running") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    assert run["status"] == "succeeded", run["lastError"]
    assert await _run_count(url) == 1
    # Each record was created once (the simulator numbers successful creates).
    store = simulator.state.store
    held = store._db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    seq = store._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()[0]
    assert held == seq  # every record created exactly once
    assert run["sent"] > 100


async def test_a_job_id_left_in_redis_does_not_drop_a_run(tmp_path: Path, redis_url: str) -> None:
    # Two gateway databases on one queue name (or a database re-created under a queue that
    # still holds its jobs): both number their first run 1. arq refuses a job id it still
    # has, so with ids derived from the run id alone the second run stayed queued for good.
    queue_name = f"pgw-test:{uuid.uuid4().hex[:8]}"
    urls = [await _sqlite(tmp_path, "a.db"), await _sqlite(tmp_path, "b.db")]
    redis = arq_redis(redis_url, queue_name)
    queue = ArqQueue(redis, queue_name)
    try:
        runs = []
        for url in urls:
            engine = create_engine(url)
            try:
                run, created = await request_run(
                    SqlRuns(create_session_factory(engine)),
                    queue,
                    system="test",
                    trigger="api",
                    requested_by="t",
                )
            finally:
                await engine.dispose()
            assert created
            runs.append(run.id)
        assert runs == [1, 1]
        # Both runs have a job waiting for a worker.
        assert await redis.zcard(queue_name) == 2
    finally:
        await redis.delete(queue_name)
        await queue.close()
