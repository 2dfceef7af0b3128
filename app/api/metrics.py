"""Prometheus metrics: one registry per app, request counts and latencies by route template."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from app.monitoring import process_metrics
from app.sync.ports import SYSTEMS
from app.sync.services import Services

log = logging.getLogger(__name__)


class ContractDeviationCounts(Collector):
    """``gateway_casavi_contract_deviations_total{operation}``: casavi answers outside
    openapi/casavi.yaml, as the gateway's database counts them (every process's reads)."""

    def __init__(self) -> None:
        self.by_operation: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "gateway_casavi_contract_deviations",
            "casavi answers that deviated from the contract (openapi/casavi.yaml), by the "
            "contract's operation; each failed its record, the rest went on.",
            labels=["operation"],
        )
        for operation, times in sorted(self.by_operation.items()):
            family.add_metric([operation], times)
        yield family


class Metrics:
    def __init__(self) -> None:
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            registry=self.registry,
        )

        # Read from the shared state at scrape time, so every API process reports the same
        # numbers whatever worker ran the job.
        self.runs = Gauge(
            "gateway_sync_runs",
            "Sync runs recorded, by system and status.",
            ["system", "status"],
            registry=self.registry,
        )
        self.last_run_seconds = Gauge(
            "gateway_sync_last_run_duration_seconds",
            "Duration of the latest finished run, by system.",
            ["system"],
            registry=self.registry,
        )
        self.last_run_records = Gauge(
            "gateway_sync_last_run_records",
            "Records of the latest finished run, by system and outcome.",
            ["system", "outcome"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "gateway_job_queue_depth", "Jobs waiting to be picked up.", registry=self.registry
        )
        # The inbound queue (casavi -> iX-Haus), from the inbox: how far processing lags.
        self.inbound_waiting = Gauge(
            "gateway_inbound_events_waiting",
            "Inbox events not yet processed, by system and status (received: waiting for a "
            "job; parked: waiting for their next attempt).",
            ["system", "status"],
            registry=self.registry,
        )
        self.inbound_lag = Gauge(
            "gateway_inbound_oldest_waiting_age_seconds",
            "Age of the oldest received, unprocessed inbox event by system (0 when none).",
            ["system"],
            registry=self.registry,
        )
        self.deviations = ContractDeviationCounts()
        self.registry.register(self.deviations)
        self.alerts_open = Gauge(
            "gateway_alert_incidents_open",
            "Open alert incidents, by system and event (app/alerts).",
            ["system", "event"],
            registry=self.registry,
        )
        self.worker_seen = Gauge(
            "gateway_worker_seen",
            "1 when an arq worker reported in within its health-check interval (0 when not).",
            registry=self.registry,
        )

    async def refresh(self, services: Services) -> None:
        for (system, status), count in (await services.runs.count_by_status()).items():
            self.runs.labels(system, status).set(count)
        for system in SYSTEMS:
            finished = [
                (r, r.started_at, r.finished_at)
                for r in await services.runs.recent(system, 20)
                if r.started_at is not None and r.finished_at is not None
            ]
            if finished:
                last, started, ended = finished[0]
                seconds = (ended - started).total_seconds()
                self.last_run_seconds.labels(system).set(seconds)
                for outcome, value in (
                    ("sent", last.sent),
                    ("unchanged", last.unchanged),
                    ("excluded", last.excluded),
                    ("errors", last.errors),
                ):
                    self.last_run_records.labels(system, outcome).set(value)
        now = services.clock()
        for system in SYSTEMS:
            received, parked, oldest = await services.inbox.waiting(system)
            self.inbound_waiting.labels(system, "received").set(received)
            self.inbound_waiting.labels(system, "parked").set(parked)
            age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
            self.inbound_lag.labels(system).set(age)
        if services.contract_deviations is not None:
            self.deviations.by_operation = await services.contract_deviations.by_operation()
        if services.alerts is not None:
            self.alerts_open.clear()
            for incident in await services.alerts.store.open_incidents():
                self.alerts_open.labels(incident.system, incident.event).inc()
        self.queue_depth.set(await services.queue.depth())
        seen = await services.queue.worker_seen()
        if seen is not None:
            self.worker_seen.set(1 if seen else 0)

    def _children(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        """The request counter and latency histogram of one label set, looked up once
        (``labels()`` validates and locks on every call)."""
        key = (method, route, status)
        found = self._request_children.get(key)
        if found is None:
            found = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            if len(self._request_children) < 10_000:  # routes are templates: a small set
                self._request_children[key] = found
        return found

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def measure(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            status = 500

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            started = time.perf_counter()
            try:
                await app(scope, receive, capture)
            finally:
                seconds = time.perf_counter() - started
                route = str(scope.get("path_template") or "unmatched")
                method = str(scope.get("method", ""))
                count, latency = self._children(method, route, status)
                count.inc()
                latency.observe(seconds)

        return measure

    def render(self) -> bytes:
        return generate_latest(self.registry)


@get(
    "/metrics",
    media_type=CONTENT_TYPE_LATEST,
    include_in_schema=True,
    tags=["operations"],
    summary="Prometheus metrics",
)
async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    metrics: Metrics = request.app.state.metrics
    try:
        await metrics.refresh(request.app.state.services)
    except Exception as exc:  # the request metrics still answer while the database is down
        log.warning("metrics refresh failed: %s", type(exc).__name__)
    # What this process observed running jobs (embedded mode: all of them; with Redis the
    # worker serves its own on WORKER_METRICS_PORT).
    body = metrics.render() + process_metrics.render()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
