"""Sync-run jobs: through a real arq worker on Redis, and in-process without Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import SyncRun
from app.adapters.store.runs import SqlRuns
from app.asgi import create_app
from app.environment import Settings, load_settings
from app.sync.queue import InProcessQueue
from app.sync.runs import execute_run
from tests.fakes import CountingAdapters, FakeConfigs, FakeQueue, fake_contexts, fake_services

ROOT = Path(__file__).resolve().parents[2]


async def _execute(factory: Any, run_id: int, adapters: CountingAdapters) -> str:
    """The run job over the real runs table, with nothing to read and nothing to send."""
    services = fake_services(fake_contexts(FakeConfigs(), adapters), runs=SqlRuns(factory))
    return await execute_run(services, run_id)


async def _wait_for_run(
    client: AsyncTestClient[Litestar], key: str, run_id: int, seconds: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        run = (await client.get(f"/api/v1/sync-runs/{run_id}", headers={"X-API-Key": key})).json()
        if run["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return run  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)


@pytest.fixture
def arq_settings(migrated_pg: str, redis_url: str, queue_name: str) -> Settings:
    return load_settings(
        {"DATABASE_URL": migrated_pg, "REDIS_URL": redis_url, "ARQ_QUEUE_NAME": queue_name}
    )


@pytest.fixture
def worker(arq_settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``portal-gateway worker`` in its own process, as an operator runs it."""
    env = {
        **os.environ,
        "DATABASE_URL": arq_settings.database_url,
        "REDIS_URL": str(arq_settings.redis_url),
        "ARQ_QUEUE_NAME": arq_settings.arq_queue_name,
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


async def test_sync_run_round_trip_through_real_arq_worker(
    arq_settings: Settings, worker: subprocess.Popen[bytes], ixhaus_key: str
) -> None:
    async with AsyncTestClient(create_app(arq_settings)) as client:
        response = await client.post(
            "/api/v1/systems/production/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
        assert response.status_code == 202
        queued = response.json()
        assert queued["status"] in ("queued", "running", "succeeded")
        run = await _wait_for_run(client, ixhaus_key, queued["id"])
    assert worker.poll() is None
    # The worker ran the real sync job; this system is not switched on, so the run says so.
    assert run["status"] == "failed"
    assert run["lastError"] == "The interface of this system is switched off (rule C12)."
    assert run["trigger"] == "api"
    assert run["startedAt"] is not None
    assert run["finishedAt"] is not None
    assert run["finishedAt"] >= run["startedAt"]


async def test_in_process_jobs_without_redis(settings: Settings, ixhaus_key: str) -> None:
    app = create_app(settings)
    async with AsyncTestClient(app) as client:
        response = await client.post(
            "/api/v1/systems/test/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
        assert response.status_code == 202
        assert isinstance(app.state.job_queue, InProcessQueue)
        run = await _wait_for_run(client, ixhaus_key, response.json()["id"])
    assert run["status"] == "failed"
    assert "rule C12" in run["lastError"]


async def test_pending_run_is_reused_not_duplicated(
    arq_settings: Settings, ixhaus_key: str
) -> None:
    # No worker runs here, so the first run stays queued in Redis.
    async with AsyncTestClient(create_app(arq_settings)) as client:
        first = await client.post(
            "/api/v1/systems/test/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
        second = await client.post(
            "/api/v1/systems/test/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    await _fail_run(arq_settings.database_url, first.json()["id"])


async def _fail_run(database_url: str, run_id: int) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(status="failed", active_system=None)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_run_job_is_safe_to_run_twice(migrated_pg: str) -> None:
    engine = create_engine(migrated_pg)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            run = SyncRun(system="test", trigger="test", active_system="test")
            session.add(run)
            await session.commit()
        adapters = CountingAdapters()
        assert await _execute(factory, run.id, adapters) == "succeeded"
        assert await _execute(factory, run.id, adapters) == "not-claimed"
        assert len(adapters.built) == 1  # the second call never reached the system
    finally:
        await engine.dispose()


async def test_a_run_whose_heartbeat_stopped_is_taken_over(migrated_pg: str) -> None:
    import datetime as dt

    await _fail_pending(migrated_pg)
    engine = create_engine(migrated_pg)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            run = SyncRun(
                system="test",
                trigger="test",
                status="running",
                active_system="test",
                attempts=1,
                heartbeat_at=dt.datetime.now(dt.UTC),
            )
            session.add(run)
            await session.commit()
        adapters = CountingAdapters()
        # Its worker is alive (fresh heartbeat): a second job leaves it alone.
        assert await _execute(factory, run.id, adapters) == "not-claimed"
        async with factory() as session:
            silent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
            await session.execute(
                update(SyncRun).where(SyncRun.id == run.id).values(heartbeat_at=silent)
            )
            await session.commit()
        # Silent for longer than a minute: taken over, and only the new claim may finish it.
        assert await _execute(factory, run.id, adapters) == "succeeded"
        assert not await SqlRuns(factory).heartbeat(run.id, 1)
        done = await SqlRuns(factory).get(run.id)
        assert done is not None
        assert done.status == "succeeded"
    finally:
        await engine.dispose()


async def test_enqueue_failure_marks_the_run_failed(
    migrated_pg: str, closed_port: int, ixhaus_key: str
) -> None:
    settings = load_settings(
        {"DATABASE_URL": migrated_pg, "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}
    )
    await _fail_pending(migrated_pg)
    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.post(
            "/api/v1/systems/production/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        runs = (
            await client.get(
                "/api/v1/sync-runs?system=production&limit=1", headers={"X-API-Key": ixhaus_key}
            )
        ).json()["items"]
    assert runs[0]["status"] == "failed"
    assert "enqueue" in runs[0]["lastError"]


async def _fail_pending(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.status.in_(("queued", "running")))
                .values(status="failed", active_system=None)
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_a_silent_run_is_taken_over_by_the_next_trigger(
    settings: Settings, migrated_pg: str, ixhaus_key: str
) -> None:
    import datetime as dt

    await _fail_pending(migrated_pg)
    engine = create_engine(migrated_pg)
    try:
        async with create_session_factory(engine)() as session:
            long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
            stuck = SyncRun(
                system="production",
                trigger="test",
                status="running",
                active_system="production",
                started_at=long_ago,
                requested_at=long_ago,
                heartbeat_at=long_ago,
            )
            session.add(stuck)
            await session.commit()
    finally:
        await engine.dispose()
    async with AsyncTestClient(create_app(settings)) as client:
        headers = {"X-API-Key": ixhaus_key}
        response = await client.post("/api/v1/systems/production/sync-runs", headers=headers)
        assert response.status_code == 202
        # The trigger coalesces onto the stuck run and gives it a fresh job, which runs it
        # (this system is switched off, so the run ends saying so).
        assert response.json()["id"] == stuck.id
        old = await _wait_for_run(client, ixhaus_key, stuck.id, seconds=10)
    assert old["status"] == "failed"
    assert "rule C12" in old["lastError"]


async def test_concurrent_triggers_create_one_run(migrated_pg: str) -> None:
    from app.sync.runs import request_run

    await _fail_pending(migrated_pg)

    class Recording(FakeQueue):
        async def enqueue(self, function: str, *args: object, job_id: str) -> bool:
            self.jobs.append((function, args, job_id))
            return True

    queue = Recording()
    engine = create_engine(migrated_pg)
    factory = create_session_factory(engine)

    async def trigger() -> int:
        run, _ = await request_run(
            SqlRuns(factory), queue, system="test", trigger="api", requested_by="t"
        )
        return run.id

    try:
        ids = await asyncio.gather(*(trigger() for _ in range(8)))
    finally:
        await engine.dispose()
    assert len(set(ids)) == 1
    assert len(queue.jobs) == 1
    await _fail_pending(migrated_pg)


async def test_serve_without_redis_runs_every_job_of_the_table(tmp_path: Path) -> None:
    # issue 20 item 4: the embedded mode takes its jobs from the same table as the worker.
    from app.adapters.store import migrate
    from app.sync.jobs import JOB_FUNCTIONS, PERIODIC

    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    app = create_app(load_settings({"DATABASE_URL": url}), scheduler=True)
    async with AsyncTestClient(app):
        queue = app.state.job_queue
        assert isinstance(queue, InProcessQueue)
        assert queue.functions == set(JOB_FUNCTIONS)
        running = {task.get_name() for task in app.state.background if not task.done()}
        assert {job.name for job in PERIODIC} <= running


async def test_the_worker_keeps_its_connections_open(migrated_pg: str) -> None:
    # Jobs, ticks and the alert monitor use the worker's connections at once: all of them
    # are kept open when returned, none is opened and closed again per checkout.
    from sqlalchemy import event, text

    from app.worker import WORKER_POOL_SIZE, worker_engine

    engine = worker_engine(load_settings({"DATABASE_URL": migrated_pg}))
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    try:
        for _ in range(3):  # busy, idle, busy again
            connections = [await engine.connect() for _ in range(WORKER_POOL_SIZE)]
            for conn in connections:
                await conn.execute(text("SELECT 1"))
            for conn in connections:
                await conn.close()
        assert len(opened) == WORKER_POOL_SIZE
    finally:
        await engine.dispose()
