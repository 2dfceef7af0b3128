"""What this process observes as it runs jobs: job durations and outcomes, and the inbound
receipt -> processed latency. Process-local (like every Prometheus counter): the worker
serves it on its own port (``worker_metrics.py``), the API appends it to its ``/metrics``
(in embedded mode the API process runs the jobs).

Jobs are observed by wrapping their functions (``observed``); the inbound flow reports each
processed event with one call (``inbound_processed``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from app.domain.calendar import utcnow

REGISTRY = CollectorRegistry()

# A run job works up to RUN_TIME_LIMIT_SECONDS (540 s by default), then hands over.
JOB_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900)
# Callback -> iX-Haus takes well under a second when all is well; a parked event hours.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)

JOBS = Counter(
    "gateway_worker_jobs",
    "Jobs this process finished, by job and outcome (run_sync: succeeded, partial, failed, "
    "continued, taken-over, not-claimed; other jobs: ok or error).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "gateway_worker_job_duration_seconds",
    "How long a job took in this process, by job and outcome (a run longer than the run "
    "time limit is continued by a fresh job: one observation per job).",
    ["job", "outcome"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
INBOUND_LATENCY = Histogram(
    "gateway_inbound_processing_latency_seconds",
    "From an inbound event's receipt (callback or poll) to its processing in iX-Haus, by "
    "system (parked events count when they are finally processed).",
    ["system"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

JobFunction = Callable[..., Awaitable[Any]]


def observed(name: str, function: JobFunction) -> JobFunction:
    """``function`` as arq runs it: handed the services the worker built (``ctx["services"]``)
    and the job's ids, with its duration and outcome counted under ``name``."""

    @functools.wraps(function)
    async def job(ctx: dict[str, Any], *args: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await function(ctx["services"], *args)
            outcome = result if isinstance(result, str) else "ok"
            return result
        finally:
            JOBS.labels(name, outcome).inc()
            JOB_SECONDS.labels(name, outcome).observe(time.perf_counter() - started)

    return job


def inbound_processed(system: str, received_at: datetime) -> None:
    """One inbound event was applied to iX-Haus now."""
    INBOUND_LATENCY.labels(system).observe(max(0.0, (utcnow() - received_at).total_seconds()))


def render() -> bytes:
    return generate_latest(REGISTRY)
