"""Sync runs: trigger one (iX-Haus plus or an operator) and read their outcome (rules L1/L2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, PathParameter, QueryParameter
from sqlalchemy import select

from app.adapters.store.models import ProtocolEntry, SyncRun
from app.api.deps import DbSession
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import (
    ProtocolEntryList,
    ProtocolEntryView,
    SyncRunList,
    SyncRunView,
    System,
)
from app.errors import NotFound
from app.sync.runs import request_run

# Ids are 32-bit integers in every backend; larger ones cannot exist (and would overflow).
MAX_ID = 2**31 - 1


def to_view(run: SyncRun) -> SyncRunView:
    return SyncRunView(
        id=run.id,
        system=run.system,  # type: ignore[arg-type]
        trigger=run.trigger,
        scope=run.scope,
        status=run.status,  # type: ignore[arg-type]
        requested_by=run.requested_by,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        sent=run.sent,
        skipped=run.skipped,
        errors=run.errors,
        last_error=run.last_error,
    )


class SyncRunController(Controller):
    tags = ["sync runs"]

    @post(
        "/systems/{system:str}/sync-runs",
        status_code=202,
        summary="Start a sync run (or get the one already queued or running)",
        responses=problem_responses(*API_PROBLEMS, 503),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        system: Annotated[System, PathParameter(description="production or test (rule C1)")],
    ) -> Response[SyncRunView]:
        run, _created = await request_run(
            db_session,
            request.app.state.job_queue,
            system=system,
            trigger="api",
            requested_by=request.state.api_key_name,
        )
        return Response(to_view(run), status_code=202)

    @get(
        "/sync-runs",
        summary="Recent sync runs, newest first",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def list_runs(
        self,
        db_session: DbSession,
        system: FromQuery[System | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> SyncRunList:
        query = select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)
        if system is not None:
            query = query.where(SyncRun.system == system)
        runs = await db_session.scalars(query)
        return SyncRunList(items=[to_view(run) for run in runs])

    @get(
        "/sync-runs/{run_id:int}",
        summary="One sync run",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def get_run(
        self, db_session: DbSession, run_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)]
    ) -> SyncRunView:
        run = await db_session.get(SyncRun, run_id)
        if run is None:
            raise NotFound(f"No sync run {run_id}.")
        return to_view(run)

    @get(
        "/sync-runs/{run_id:int}/entries",
        summary="What happened to each record in a run (rule L3); unchanged records are not listed",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def entries(
        self,
        db_session: DbSession,
        run_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
        outcome: FromQuery[Literal["sent", "deleted", "excluded", "error"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> ProtocolEntryList:
        if await db_session.get(SyncRun, run_id) is None:
            raise NotFound(f"No sync run {run_id}.")
        query = (
            select(ProtocolEntry)
            .where(ProtocolEntry.run_id == run_id)
            .order_by(ProtocolEntry.id)
            .limit(limit)
        )
        if outcome is not None:
            query = query.where(ProtocolEntry.outcome == outcome)
        rows = await db_session.scalars(query)
        return ProtocolEntryList(
            items=[
                ProtocolEntryView(
                    entity_type=r.entity_type,
                    entity_key=r.entity_key,
                    outcome=r.outcome,  # type: ignore[arg-type]
                    reason_code=r.reason_code,
                    message=r.message,
                    created_at=r.created_at,
                )
                for r in rows
            ]
        )
