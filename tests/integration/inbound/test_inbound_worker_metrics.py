"""The worker's ``/metrics`` (``WORKER_METRICS_PORT``): after a burst of casavi callbacks
processed by a real ``portal-gateway worker``, it shows the inbound receipt -> processed
latency histogram, the jobs it ran and the job queue (rule T10's "within seconds")."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx

from app.asgi import create_app
from app.sandbox.casavi import ServerThread
from tests.integration.inbound.conftest import (
    CALLBACK_SECRET,
    PATIENCE_SECONDS,
    Inbound,
    callback_url,
    gateway_settings,
    start_worker,
    stop,
)
from tests.support.parallel import free_port


def _sample(text: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if wanted else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


async def _scrape(port: int) -> str:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            try:
                response = await http.get(f"http://127.0.0.1:{port}/metrics")
                response.raise_for_status()
                return response.text
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the worker's metrics port never answered"
                await asyncio.sleep(0.1)


async def test_worker_metrics_show_the_inbound_latency_after_a_callback_burst(  # rule T10
    inbound: Inbound, migrated_pg: str, redis_url: str, queue_name: str, tmp_path: Path
) -> None:
    settings = gateway_settings(migrated_pg, REDIS_URL=redis_url, ARQ_QUEUE_NAME=queue_name)
    gateway = ServerThread(create_app(settings)).start()
    port = free_port()
    worker = start_worker(settings, tmp_path / "worker.log", WORKER_METRICS_PORT=str(port))
    try:
        await inbound.sim.callbacks_to(callback_url(gateway.base_url), CALLBACK_SECRET)
        before = await _scrape(port)
        assert "# TYPE gateway_inbound_processing_latency_seconds histogram" in before
        tenant = await inbound.tenant()
        tickets = [await inbound.open_ticket(f"Schaden {i}") for i in range(3)]
        for ticket in tickets:
            for i in range(5):
                await inbound.sim.tenant(
                    "POST",
                    f"/tickets/{ticket}/messages",
                    json={"contactId": tenant["contactId"], "content": f"Nachricht {i}"},
                )
        events = len(tickets) * 6

        async def processed() -> bool:
            done = [e for e in await inbound.inbox("done") if not e.external_id.startswith("poll:")]
            return len(done) >= events

        await inbound.wait_for(processed)

        async def observed() -> bool:
            text = await _scrape(port)
            count = _sample(text, "gateway_inbound_processing_latency_seconds_count", system="test")
            return count is not None and count >= events

        await inbound.wait_for(observed)
        text = await _scrape(port)
        assert _sample(text, "gateway_inbound_processing_latency_seconds_bucket",
                       le="+Inf", system="test") is not None  # fmt: skip
        assert (_sample(text, "gateway_inbound_processing_latency_seconds_sum", system="test")
                or 0) > 0  # fmt: skip
        jobs = _sample(text, "gateway_worker_jobs_total", job="inbound_ticket", outcome="ok")
        assert jobs is not None
        assert jobs >= 1
        assert _sample(text, "gateway_job_queue_depth") is not None
        assert _sample(text, "gateway_job_queue_oldest_age_seconds") is not None
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/other")).status_code == 404
    finally:
        stop(worker)
        gateway.stop()
