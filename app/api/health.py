"""Liveness and readiness: is the process up; can it reach its database and (if set) Redis."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from litestar import Request, Response, get
from sqlalchemy import literal, select

from app.api.problems import PROBLEM_MEDIA_TYPE, problem_responses

Check = Literal["ok", "failed", "not_configured"]
WorkerCheck = Literal["seen", "not_seen", "in_process", "unknown"]


class Liveness(msgspec.Struct):
    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: Literal["ok"] | int
    checks: dict[str, Check]
    # Whether an arq worker reported in within its health-check interval. Informational:
    # an API process without a worker still serves, but runs and inbound events wait.
    worker: WorkerCheck = "unknown"
    type: str | None = None
    title: str | None = None
    detail: str | None = None


@get("/health/live", tags=["operations"], summary="The process is up", sync_to_thread=False)
def live() -> Liveness:
    return Liveness()


@get(
    "/health/ready",
    tags=["operations"],
    summary="The database and, when configured, Redis answer",
    responses=problem_responses(503),
)
async def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    state = request.app.state
    timeout = state.settings.ready_timeout_seconds
    checks: dict[str, Check] = {
        "database": await _check(_ping_database(state.engine), timeout),
        "redis": "not_configured"
        if state.settings.redis_url is None
        else await _check(state.job_queue.ping(), timeout),
    }
    worker = await _worker(state.job_queue, timeout) if checks["redis"] != "failed" else "unknown"
    failed = sorted(name for name, result in checks.items() if result == "failed")
    if not failed:
        return Response(Readiness(status="ok", checks=checks, worker=worker))
    body = Readiness(
        type="urn:portal-gateway:problem:dependency-unavailable",
        title="Dependency unavailable",
        status=503,
        detail=f"Not answering: {', '.join(failed)}.",
        checks=checks,
    )
    return Response(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE)


async def _worker(queue: Any, seconds: float) -> WorkerCheck:
    try:
        seen = await asyncio.wait_for(queue.worker_seen(), seconds)
    except Exception:
        return "unknown"
    if seen is None:
        return "in_process"
    return "seen" if seen else "not_seen"


async def _ping_database(engine: Any) -> None:
    async with engine.connect() as connection:
        # select(1) renders as SELECT 1 FROM DUAL on Oracle.
        await connection.execute(select(literal(1)))


async def _check(probe: Any, seconds: float) -> Check:
    try:
        await asyncio.wait_for(probe, seconds)
    except Exception:
        return "failed"
    return "ok"
