"""The worker's ``/metrics`` on a port of its own (``WORKER_METRICS_PORT``; off by default).

It serves what the worker observed (``process_metrics.py``: jobs, inbound latency) and, read
from Redis at scrape time, the job queue: how many jobs wait and how long the oldest has
waited. A tiny asyncio server in the worker's own loop: no thread, no extra dependency.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge
from prometheus_client.exposition import generate_latest

from app.monitoring import process_metrics

log = logging.getLogger(__name__)


class QueueGauges:
    def __init__(self, redis: Any, queue_name: str) -> None:
        self._redis = redis
        self._queue = queue_name
        self.registry = CollectorRegistry()
        self.depth = Gauge(
            "gateway_job_queue_depth", "Jobs waiting to be picked up.", registry=self.registry
        )
        self.age = Gauge(
            "gateway_job_queue_oldest_age_seconds",
            "How long the oldest job due has waited to be picked up (0 when none).",
            registry=self.registry,
        )

    async def refresh(self) -> None:
        self.depth.set(int(await self._redis.zcard(self._queue)))
        # arq scores each queued job with the time (ms) it is due; deferred jobs lie ahead.
        oldest = await self._redis.zrange(self._queue, 0, 0, withscores=True)
        due_ms = float(oldest[0][1]) if oldest else None
        now_ms = time.time() * 1000
        self.age.set(max(0.0, (now_ms - due_ms) / 1000) if due_ms is not None else 0.0)

    async def render(self) -> bytes:
        try:
            await self.refresh()
        except Exception as exc:  # Redis away: the job metrics still answer
            log.warning("worker metrics: queue not read: %s", type(exc).__name__)
        return generate_latest(self.registry) + process_metrics.render()


class MetricsServer:
    def __init__(self, gauges: QueueGauges) -> None:
        self._gauges = gauges
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> MetricsServer:
        self._server = await asyncio.start_server(self._answer, host, port)
        log.info("worker metrics on http://%s:%d/metrics", host, self.port)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                request = await reader.readuntil(b"\r\n\r\n")
                method, path, *_ = [*request.split(b"\r\n", 1)[0].split(b" "), b"", b""]
                if method == b"GET" and path.split(b"?", 1)[0] == b"/metrics":
                    status, body, kind = "200 OK", await self._gauges.render(), CONTENT_TYPE_LATEST
                else:
                    status, body, kind = "404 Not Found", b"not found\n", "text/plain"
                head = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                writer.write(head.encode() + body)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that went away or never finished its request
        finally:
            writer.close()


async def start_worker_metrics(host: str, port: int, redis: Any, queue_name: str) -> MetricsServer:
    return await MetricsServer(QueueGauges(redis, queue_name)).start(host, port)
