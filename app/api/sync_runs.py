"""Sync runs: trigger one (iX-Haus plus or an operator) and read their outcome (rules L1/L2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import (
    PlanItemView,
    ProtocolEntryList,
    ProtocolEntryView,
    SyncPlanView,
    SyncRunList,
    SyncRunRequest,
    SyncRunView,
    System,
    reason_text,
)
from app.domain.keys import EntityKind
from app.errors import InvalidInput, NotFound
from app.sync.outbound.plan import SyncPlan, plan_run
from app.sync.ports import SyncRunInfo
from app.sync.runs import request_run

# Ids are 32-bit integers in every backend; larger ones cannot exist (and would overflow).
MAX_ID = 2**31 - 1


def to_view(run: SyncRunInfo) -> SyncRunView:
    return SyncRunView(**msgspec.structs.asdict(run))


class SyncRunController(Controller):
    tags = ["sync runs"]

    @post(
        "/systems/{system:str}/sync-runs",
        status_code=202,
        summary="Start a sync run (or get the one already queued or running), or a dry run",
        responses={
            200: ResponseSpec(SyncPlanView, description="A dry run's plan; nothing was sent"),
            **problem_responses(*API_PROBLEMS, 409, 422, 503),
        },
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        system: Annotated[System, PathParameter(description="production or test (rule C1)")],
        data: JSONBody[SyncRunRequest | None] = None,
    ) -> Response[SyncRunView | SyncPlanView]:
        """Without a body (or ``dryRun: false``): start a run, 202 with the run. With
        ``dryRun: true``: 200 with the plan of a run now; nothing is sent or written."""
        if data is not None and data.dry_run:
            kinds = [EntityKind(e) for e in data.entities] if data.entities else None
            async with services.contexts.use(system) as ctx:
                plan = await plan_run(ctx, now=services.clock(), kinds=kinds)
            return Response(plan_view(plan), status_code=200)
        if data is not None and data.entities is not None:
            raise InvalidInput(
                "'entities' applies to a dry run only; a run covers every entity.",
                errors=[("entities", "only with dryRun: true")],
            )
        run, _created = await request_run(
            services.runs,
            services.queue,
            system=system,
            trigger="api",
            requested_by=request.state.api_key_name,
            policy=services.policy,
        )
        return Response(to_view(run), status_code=202)

    @get(
        "/sync-runs",
        summary="Recent sync runs, newest first",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def list_runs(
        self,
        services: ServicesDep,
        system: FromQuery[System | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> SyncRunList:
        runs = await services.runs.recent(system, limit)
        return SyncRunList(items=[to_view(run) for run in runs])

    @get(
        "/sync-runs/{run_id:int}",
        summary="One sync run",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def get_run(
        self, services: ServicesDep, run_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)]
    ) -> SyncRunView:
        run = await services.runs.get(run_id)
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
        services: ServicesDep,
        run_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
        outcome: FromQuery[Literal["sent", "deleted", "excluded", "error"] | None] = None,
        entity: FromQuery[EntityKind | None] = None,
        cursor: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> ProtocolEntryList:
        page = await services.runs.entries(
            run_id,
            outcome=outcome,
            entity=entity.value if entity else None,
            after=cursor,
            limit=limit,
        )
        if page is None:
            raise NotFound(f"No sync run {run_id}.")
        return ProtocolEntryList(
            items=[
                ProtocolEntryView(
                    id=line.id,
                    entity_type=line.key.kind.value,
                    entity_key=line.key.ledger_key,
                    outcome=line.outcome,
                    reason_code=line.reason_code,
                    reason_text=reason_text(line.reason_code),
                    message=line.message,
                    created_at=line.created_at,
                )
                for line in page.lines
            ],
            total=page.total,
            next_cursor=page.next_cursor,
        )


def plan_view(plan: SyncPlan) -> SyncPlanView:
    return SyncPlanView(
        system=cast(System, plan.system),
        dry_run=True,
        entities=[kind.value for kind in plan.kinds],
        creates=plan.creates,
        updates=plan.updates,
        deletes=plan.deletes,
        excludes=plan.excludes,
        unchanged=plan.unchanged,
        still_excluded=plan.still_excluded,
        waiting=plan.waiting,
        truncated=plan.truncated,
        items=[
            PlanItemView(
                entity_type=item.key.kind.value,
                entity_key=item.key.ledger_key,
                action=item.action,
                fields=item.fields,
                reason_code=item.reason_code,
                reason_text=reason_text(item.reason_code),
            )
            for item in plan.items
        ],
    )
