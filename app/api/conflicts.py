"""Conflicts over the API (scope admin): list them (open or all, paged by id) and resolve
one with iX-Haus's value, casavi's, or a value of the operator's own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System
from app.errors import InvalidInput
from app.sync.inbound.conflicts import resolve_conflict
from app.sync.ports import ConflictRecord
from app.sync.stores import two_way_of

RowId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="row id")]


class ConflictView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    ticket_number: str
    field: str
    base_value: str | None
    ixhaus_value: str | None
    casavi_value: str | None
    policy: str
    resolution: str | None
    resolved_value: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime


class ConflictList(msgspec.Struct, kw_only=True, rename="camel"):
    items: list[ConflictView]
    next_after_id: int | None


class ResolveConflict(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    side: Literal["ixhaus", "casavi", "value"]
    value: Annotated[str, msgspec.Meta(max_length=100_000)] | None = None


def conflict_view(row: ConflictRecord) -> ConflictView:
    fields = msgspec.structs.asdict(row)
    fields.pop("system")
    return ConflictView(**fields)


class ConflictController(Controller):
    path = "/systems/{system:str}/conflicts"
    tags = ["conflicts"]
    opt = {"scope": "admin"}

    @get(
        "/",
        summary="Ticket fields both sides changed, with base and both values",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def list_conflicts(
        self,
        services: ServicesDep,
        system: FromPath[System],
        status: Annotated[
            Literal["open", "all"], QueryParameter(description="open (default) or all")
        ] = "open",
        after_id: Annotated[
            int, QueryParameter(ge=0, le=2**31 - 1, description="paging: last id seen")
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> ConflictList:
        rows = await two_way_of(services.stores).conflicts.list(
            system, open_only=status == "open", limit=limit, after_id=after_id
        )
        return ConflictList(
            items=[conflict_view(r) for r in rows],
            next_after_id=rows[-1].id if len(rows) == limit else None,
        )

    @post(
        "/{conflict_id:int}/resolve",
        status_code=200,
        summary="Resolve a conflict: the chosen value goes to iX-Haus and casavi",
        responses=problem_responses(*API_PROBLEMS, 404, 409, 422),
    )
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        system: FromPath[System],
        conflict_id: RowId,
        data: JSONBody[ResolveConflict],
    ) -> ConflictView:
        if data.side == "value" and data.value is None:
            raise InvalidInput("side 'value' needs a value", errors=[("value", "required")])
        actor = f"apikey:{getattr(request.state, 'api_key_name', 'unknown')}"
        async with services.contexts.use(system) as ctx:
            row = await resolve_conflict(
                ctx, conflict_id, side=data.side, value=data.value, actor=actor
            )
        return conflict_view(row)
