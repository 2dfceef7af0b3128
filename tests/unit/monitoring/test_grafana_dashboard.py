"""docs/grafana-dashboard.json is built from metric names the gateway really exports (the
API's /metrics and the worker's)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from app.api.metrics import Metrics
from app.monitoring import process_metrics
from app.monitoring.worker_metrics import QueueGauges

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana-dashboard.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _exported(*registries: CollectorRegistry) -> set[str]:
    names: set[str] = set()
    for registry in registries:
        for family in registry.collect():
            names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for value in node.values() for e in _expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in _expressions(value)]
    return []


def test_every_metric_the_dashboard_uses_exists() -> None:
    exported = _exported(
        Metrics().registry, process_metrics.REGISTRY, QueueGauges(None, "q").registry
    )
    expressions = _expressions(json.loads(DASHBOARD.read_text(encoding="utf-8")))
    assert len(expressions) >= 15
    used = {name for e in expressions for name in re.findall(r"\bgateway_[a-z_]+\b", e)}
    assert used - exported == set()
    # The four: run duration and outcome, inbound latency, queue depth and age.
    assert {
        "gateway_worker_job_duration_seconds_bucket",
        "gateway_worker_jobs_total",
        "gateway_inbound_processing_latency_seconds_bucket",
        "gateway_job_queue_depth",
        "gateway_job_queue_oldest_age_seconds",
    } <= used
