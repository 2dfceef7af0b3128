"""Liveness, readiness (database + Redis) and metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import delete

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import InboxEvent
from app.asgi import create_app
from app.domain.calendar import utcnow
from app.environment import load_settings


async def test_live_and_ready_on_postgres_and_redis(
    migrated_pg: str, redis_url: str, queue_name: str
) -> None:
    settings = {"DATABASE_URL": migrated_pg, "REDIS_URL": redis_url, "ARQ_QUEUE_NAME": queue_name}
    app = create_app(load_settings(settings))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        # No worker on this fresh queue: ready still (the API serves), and it says so.
        assert ready.json() == {
            "status": "ok",
            "checks": {"database": "ok", "redis": "ok"},
            "worker": "not_seen",
        }
        # What an arq worker writes every health_check_interval (arq's key name).
        redis = Redis.from_url(redis_url)
        try:
            await redis.set(f"{queue_name}:health-check", b"x", px=5000)
        finally:
            await redis.aclose()
        assert (await client.get("/health/ready")).json()["worker"] == "seen"
        metrics = (await client.get("/metrics")).text
        assert "gateway_worker_seen 1.0" in metrics
        assert "gateway_job_queue_depth 0.0" in metrics


async def test_ready_without_redis_configured(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "not_configured"}
    assert ready.json()["worker"] == "in_process"


async def test_ready_is_503_when_redis_is_unreachable(migrated_pg: str, closed_port: int) -> None:
    settings = load_settings(
        {"DATABASE_URL": migrated_pg, "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}
    )
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await client.get("/health/live")).status_code == 200
        ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")
    body = ready.json()
    assert body["status"] == 503
    assert body["checks"] == {"database": "ok", "redis": "failed"}
    assert "redis" in body["detail"]


async def test_ready_is_503_when_the_database_is_unreachable(closed_port: int) -> None:
    settings = load_settings({"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port}/x"})
    async with AsyncTestClient(create_app(settings)) as client:
        ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "failed"


async def test_metrics_count_requests_by_route(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    await client.get("/health/live")
    await client.get("/api/v1/sync-runs/7")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'gateway_http_requests_total{method="GET",route="/health/live",status="200"} 1.0' in text
    assert 'route="/api/v1/sync-runs/{run_id}",status="401"' in text
    assert "gateway_http_request_duration_seconds_bucket" in text
    assert "gateway_job_queue_depth" in text


async def test_metrics_report_runs_by_system_and_status(migrated_pg: str, ixhaus_key: str) -> None:
    settings = load_settings({"DATABASE_URL": migrated_pg})
    async with AsyncTestClient(create_app(settings)) as client:
        # production is switched off (rule C12): the run fails at once, in this process
        started = await client.post(
            "/api/v1/systems/production/sync-runs", headers={"X-API-Key": ixhaus_key}
        )
        assert started.status_code == 202
        run_url = f"/api/v1/sync-runs/{started.json()['id']}"
        for _ in range(100):
            run = (await client.get(run_url, headers={"X-API-Key": ixhaus_key})).json()
            if run["status"] == "failed":
                break
            await asyncio.sleep(0.05)
        text = (await client.get("/metrics")).text
    assert 'gateway_sync_runs{status="failed",system="production"}' in text
    # A run that failed before any record counts no record errors (its status says failed).
    assert 'gateway_sync_last_run_records{outcome="errors",system="production"} 0.0' in text
    assert 'gateway_sync_last_run_records{outcome="unchanged",system="production"} 0.0' in text
    assert 'gateway_sync_last_run_duration_seconds{system="production"}' in text


async def test_metrics_report_the_inbound_queue_and_its_lag(
    app: Litestar, migrated_pg: str
) -> None:
    # Issue 13 item 7: how many inbox events wait, and how long the oldest one has waited.
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    engine = create_engine(migrated_pg)
    marker = uuid.uuid4().hex[:12]
    rows = [
        {"external_id": f"{marker}-{n}", "status": status, "received_at": an_hour_ago}
        for n, status in enumerate(["received", "received", "parked", "done"])
    ]
    try:
        async with create_session_factory(engine)() as session:
            for row in rows:
                session.add(
                    InboxEvent(
                        source="casavi:production",
                        system="production",
                        event_type="ticket.updated",
                        ticket_ref=f"cv-{marker}",
                        **row,
                    )
                )
            await session.commit()
        async with AsyncTestClient(app) as client:
            text = (await client.get("/metrics")).text
        samples = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("gateway_inbound_")
        }
        # Other tests share this database: at least ours are counted.
        assert samples['gateway_inbound_events_waiting{status="received",system="production"}'] >= 2
        assert samples['gateway_inbound_events_waiting{status="parked",system="production"}'] >= 1
        assert samples['gateway_inbound_oldest_waiting_age_seconds{system="production"}'] >= 3600
        assert 'gateway_inbound_oldest_waiting_age_seconds{system="test"}' in samples
    finally:
        async with engine.begin() as conn:
            await conn.execute(delete(InboxEvent).where(InboxEvent.external_id.like(f"{marker}-%")))
        await engine.dispose()
