"""Liveness, readiness (database + Redis) and metrics."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.config import load_settings


async def test_live_and_ready_on_postgres_and_redis(migrated_pg: str, redis_url: str) -> None:
    app = create_app(load_settings({"DATABASE_URL": migrated_pg, "REDIS_URL": redis_url}))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


async def test_ready_without_redis_configured(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "not_configured"}


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
