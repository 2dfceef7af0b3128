"""The worker's metrics server, the queue gauges read from Redis, and the job wrapper."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.environment import SettingsError, load_settings
from app.monitoring import process_metrics
from app.monitoring.worker_metrics import QueueGauges, start_worker_metrics


class FakeRedis:
    def __init__(self, scores: list[float]) -> None:
        self.scores = scores

    async def zcard(self, name: str) -> int:
        return len(self.scores)

    async def zrange(self, name: str, start: int, end: int, *, withscores: bool) -> list[Any]:
        return [(b"job", score) for score in sorted(self.scores)[start : end + 1]]


def test_worker_metrics_are_off_by_default_and_validated() -> None:
    assert load_settings({}).worker_metrics_port is None
    settings = load_settings({"WORKER_METRICS_PORT": "9464"})
    assert (settings.worker_metrics_port, settings.worker_metrics_host) == (9464, "127.0.0.1")
    with pytest.raises(SettingsError, match="WORKER_METRICS_PORT"):
        load_settings({"WORKER_METRICS_PORT": "70000"})


@pytest.mark.server  # a metrics server on a socket
async def test_the_server_answers_metrics_with_the_queue_read_at_scrape_time() -> None:
    due = time.time() * 1000 - 42_000  # the oldest job has waited 42 s
    server = await start_worker_metrics("127.0.0.1", 0, FakeRedis([due, due + 1000]), "q")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            response = await http.get("/metrics")
            missing = await http.get("/")
    finally:
        await server.close()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "gateway_job_queue_depth 2.0" in response.text
    age = next(
        float(line.split()[1])
        for line in response.text.splitlines()
        if line.startswith("gateway_job_queue_oldest_age_seconds ")
    )
    assert 41 < age < 60
    assert "gateway_inbound_processing_latency_seconds" in response.text
    assert missing.status_code == 404


async def test_a_queue_that_cannot_be_read_still_answers_the_job_metrics() -> None:
    class Down:
        async def zcard(self, name: str) -> int:
            raise ConnectionError("redis is away")

    gauges = QueueGauges(Down(), "q")
    assert b"gateway_worker_jobs" in await gauges.render()


async def test_jobs_are_counted_by_outcome_and_inbound_latency_observed() -> None:
    services: Any = object()

    async def run(handed: Any, run_id: int) -> str:
        assert handed is services  # arq's ctx in, the worker's services out
        return "partial"

    async def broken(handed: Any) -> None:
        raise RuntimeError("bug")

    def value(name: str, **labels: str) -> float:
        return process_metrics.REGISTRY.get_sample_value(name, labels) or 0.0

    before = value("gateway_worker_jobs_total", job="run_sync", outcome="partial")
    assert await process_metrics.observed("run_sync", run)({"services": services}, 1) == "partial"
    assert value("gateway_worker_jobs_total", job="run_sync", outcome="partial") == before + 1
    with pytest.raises(RuntimeError):
        await process_metrics.observed("other", broken)({"services": services})
    assert value("gateway_worker_job_duration_seconds_count", job="other", outcome="error") >= 1
    count = value("gateway_inbound_processing_latency_seconds_count", system="production")
    process_metrics.inbound_processed("production", datetime.now(UTC) - timedelta(seconds=3))
    assert value("gateway_inbound_processing_latency_seconds_count", system="production") == (
        count + 1
    )
