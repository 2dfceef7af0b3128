"""The inbox over the API (scope admin): see parked events with their reason, retry one
now, or discard it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System
from app.errors import Conflict, NotFound
from app.sync.inbound.process import enqueue_ticket
from app.sync.ports import InboxEvent

RowId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="row id")]


class InboundEventView(msgspec.Struct, kw_only=True, rename="camel"):
    id: int
    external_id: str
    event_type: str
    ticket_ref: str | None
    occurred_at: dt.datetime | None
    received_at: dt.datetime
    status: str
    attempts: int
    processed_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    reason: str | None


class InboundEventList(msgspec.Struct, kw_only=True, rename="camel"):
    items: list[InboundEventView]
    next_after_id: int | None


def event_view(row: InboxEvent) -> InboundEventView:
    # The payload stays inside: it is casavi's envelope, not needed to decide a retry.
    return InboundEventView(
        id=row.id,
        external_id=row.external_id,
        event_type=row.event_type,
        ticket_ref=row.ticket_ref,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        status=row.status,
        attempts=row.attempts,
        processed_at=row.processed_at,
        next_attempt_at=row.next_attempt_at,
        reason=row.last_error,
    )


class InboundEventController(Controller):
    path = "/systems/{system:str}/inbound-events"
    tags = ["inbound"]
    opt = {"scope": "admin"}

    @get(
        "/",
        summary="Inbound events (casavi callbacks and polled changes), e.g. the parked ones",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def list_events(
        self,
        services: ServicesDep,
        system: FromPath[System],
        status: Annotated[
            Literal["received", "done", "parked", "discarded"] | None,
            QueryParameter(description="only events in this state"),
        ] = None,
        after_id: Annotated[
            int, QueryParameter(ge=0, le=2**31 - 1, description="paging: last id seen")
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> InboundEventList:
        rows = await services.inbox.list(system, status=status, limit=limit, after_id=after_id)
        return InboundEventList(
            items=[event_view(r) for r in rows],
            next_after_id=rows[-1].id if len(rows) == limit else None,
        )

    @post(
        "/{event_id:int}/retry",
        status_code=202,
        summary="Retry a parked event now",
        responses=problem_responses(*API_PROBLEMS, 404, 409),
    )
    async def retry(
        self, services: ServicesDep, system: FromPath[System], event_id: RowId
    ) -> InboundEventView:
        row = await _existing(services.inbox.retry(system, event_id), event_id)
        if row.status != "received":
            raise Conflict(f"Event {event_id} is {row.status}; only parked events are retried.")
        if row.ticket_ref:
            await enqueue_ticket(services.queue, system, row.ticket_ref, "retry")
        return event_view(row)

    @post(
        "/{event_id:int}/discard",
        status_code=200,
        summary="Discard an event that will never apply",
        responses=problem_responses(*API_PROBLEMS, 404, 409),
    )
    async def discard(
        self, services: ServicesDep, system: FromPath[System], event_id: RowId
    ) -> InboundEventView:
        row = await _existing(services.inbox.discard(system, event_id), event_id)
        if row.status != "discarded":
            raise Conflict(f"Event {event_id} is {row.status}; it cannot be discarded.")
        return event_view(row)


async def _existing(found: Awaitable[InboxEvent | None], event_id: int) -> InboxEvent:
    row = await found
    if row is None:
        raise NotFound(f"Inbound event {event_id} does not exist.")
    return row
