"""Inbound work for operators: conflicts (both sides changed a ticket field) with a resolve
form each, and parked inbound events with Retry and Discard. The same flow functions as the
API (``resolve_conflict``, the inbox port, ``enqueue_ticket``), never the ORM."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, PathParameter

from app.configuration.document import System
from app.console.i18n import texts
from app.console.web import (
    PREFIX,
    current_session,
    language_of,
    page,
    require_session,
    see_other,
)
from app.errors import Conflict, GatewayError, InvalidInput, NotFound
from app.sync.inbound.conflicts import resolve_conflict
from app.sync.inbound.process import enqueue_ticket
from app.sync.ports import ConflictSide
from app.sync.services import Services
from app.sync.stores import two_way_of

log = logging.getLogger(__name__)

ROWS = 200
MAX_VALUE = 100_000
RowId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
SIDES: tuple[ConflictSide, ...] = ("ixhaus", "casavi", "value")
EVENT_STATES: tuple[str, ...] = ("parked", "received", "done", "discarded")


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def _problem(exc: Exception) -> tuple[int, str | None, str]:
    """(status, the gateway's own detail or None, the message key)."""
    if isinstance(exc, Conflict):
        return 409, exc.detail, "inbound.refused"
    if isinstance(exc, NotFound):
        return 404, exc.detail, "inbound.not_found"
    if isinstance(exc, GatewayError):
        if exc.status >= 500:
            return 502, exc.detail, "inbound.unreachable"
        return exc.status, exc.detail, "inbound.refused"
    # iX-Haus or casavi unreachable (or another fault on the way): a message, never a 500.
    log.warning("console: inbound action failed: %s", type(exc).__name__)
    return 502, None, "inbound.unreachable"


class InboundController(Controller):
    path = "/"
    guards = [require_session]

    @get("/conflicts")
    async def conflicts(
        self,
        request: Request[Any, Any, Any],
        system: FromQuery[System] = "production",
        status: FromQuery[Literal["open", "all"]] = "open",
        resolved: FromQuery[int | None] = None,
    ) -> Response[Any]:
        return await self._conflicts_page(request, system, status, resolved=resolved)

    @post("/systems/{system:str}/conflicts/{conflict_id:int}/resolve", status_code=303)
    async def resolve(
        self, request: Request[Any, Any, Any], system: FromPath[System], conflict_id: RowId
    ) -> Response[Any]:
        form = await request.form()
        chosen = form.get("side")
        side: ConflictSide | None = next((s for s in SIDES if s == chosen), None)
        value = form.get("value")
        text = value if isinstance(value, str) else None
        problem: tuple[int, str | None, str] | None = None
        if side is None:
            problem = (422, None, "conflicts.choose_side")
        elif side == "value" and (text is None or len(text) > MAX_VALUE):
            problem = (422, None, "conflicts.value_needed")
        elif form.get("confirmed") != "yes":
            words = texts(language_of(request))
            shown = words.label("side", side) + (f": {text}" if side == "value" else "")
            return page(
                request,
                "confirm.html",
                title=words.gettext("Resolve conflict %(id)s", id=conflict_id),
                question=words.gettext(
                    "Resolve conflict %(id)s with this choice? %(choice)s",
                    id=conflict_id,
                    choice=shown,
                ),
                details=[
                    words.gettext(
                        "The chosen value is written to iX-Haus and to casavi. "
                        "The conflict cannot be reopened."
                    )
                ],
                warning=None,
                action=f"{PREFIX}/systems/{system}/conflicts/{conflict_id}/resolve",
                fields={"side": side, "value": text or ""},
                confirm_label=words.gettext("Resolve conflict %(id)s", id=conflict_id),
                cancel=f"{PREFIX}/conflicts?system={system}#conflict-{conflict_id}",
            )
        else:
            try:
                async with _services(request).contexts.use(system) as ctx:
                    await resolve_conflict(
                        ctx,
                        conflict_id,
                        side=side,
                        value=text if side == "value" else None,
                        actor=f"console:{current_session(request).key_name}",
                    )
            except InvalidInput as exc:
                problem = (422, exc.detail, "inbound.refused")
            except Exception as exc:  # shown as a message (see _problem)
                problem = _problem(exc)
        if problem is None:
            query = urlencode({"system": system, "status": "all", "resolved": conflict_id})
            return see_other(f"{PREFIX}/conflicts?{query}#conflict-{conflict_id}")
        status, detail, key = problem
        return await self._conflicts_page(
            request,
            system,
            "open",
            status_code=status,
            error={"id": conflict_id, "key": key, "detail": detail},
        )

    async def _conflicts_page(
        self,
        request: Request[Any, Any, Any],
        system: System,
        status: str,
        *,
        resolved: int | None = None,
        error: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        rows = await two_way_of(_services(request).stores).conflicts.list(
            system, open_only=status == "open", limit=ROWS
        )
        if resolved is not None and all(r.id != resolved for r in rows):
            resolved = None
        return page(
            request,
            "conflicts.html",
            status_code=status_code,
            system=system,
            status=status,
            conflicts=rows,
            resolved=resolved,
            error=error,
            limit=ROWS,
        )

    @get("/inbound-events")
    async def events(
        self,
        request: Request[Any, Any, Any],
        system: FromQuery[System] = "production",
        status: FromQuery[Literal["parked", "received", "done", "discarded"]] = "parked",
        done: FromQuery[Literal["retried", "discarded"] | None] = None,
        event: FromQuery[int | None] = None,
    ) -> Response[Any]:
        return await self._events_page(request, system, status, done=done, event=event)

    @post("/systems/{system:str}/inbound-events/{event_id:int}/retry", status_code=303)
    async def retry(
        self, request: Request[Any, Any, Any], system: FromPath[System], event_id: RowId
    ) -> Response[Any]:
        services = _services(request)
        try:
            row = await services.inbox.retry(system, event_id)
            if row is None:
                raise NotFound(f"Inbound event {event_id} does not exist.")
            if row.status != "received":
                raise Conflict(f"Event {event_id} is {row.status}; only parked events are retried.")
            if row.ticket_ref:
                await enqueue_ticket(services.queue, system, row.ticket_ref, "retry")
        except Exception as exc:  # shown as a message (see _problem)
            return await self._event_failed(request, system, event_id, exc)
        return see_other(_events_url(system, "retried", event_id))

    @post("/systems/{system:str}/inbound-events/{event_id:int}/discard", status_code=303)
    async def discard(
        self, request: Request[Any, Any, Any], system: FromPath[System], event_id: RowId
    ) -> Response[Any]:
        if (await request.form()).get("confirmed") != "yes":
            words = texts(language_of(request))
            return page(
                request,
                "confirm.html",
                title=words.gettext("Discard event %(id)s", id=event_id),
                question=words.gettext("Discard the inbound event %(id)s?", id=event_id),
                details=[
                    words.gettext(
                        "It is never processed: what the tenant wrote in casavi does not "
                        "reach iX-Haus through this event."
                    )
                ],
                warning=None,
                action=f"{PREFIX}/systems/{system}/inbound-events/{event_id}/discard",
                fields={},
                confirm_label=words.gettext("Discard event %(id)s", id=event_id),
                cancel=f"{PREFIX}/inbound-events?system={system}",
            )
        try:
            row = await _services(request).inbox.discard(system, event_id)
            if row is None:
                raise NotFound(f"Inbound event {event_id} does not exist.")
            if row.status != "discarded":
                raise Conflict(f"Event {event_id} is {row.status}; it cannot be discarded.")
        except Exception as exc:  # shown as a message (see _problem)
            return await self._event_failed(request, system, event_id, exc)
        return see_other(_events_url(system, "discarded", event_id))

    async def _event_failed(
        self, request: Request[Any, Any, Any], system: System, event_id: int, exc: Exception
    ) -> Response[Any]:
        status, detail, key = _problem(exc)
        return await self._events_page(
            request,
            system,
            "parked",
            status_code=status,
            error={"id": event_id, "key": key, "detail": detail},
        )

    async def _events_page(
        self,
        request: Request[Any, Any, Any],
        system: System,
        status: str,
        *,
        done: str | None = None,
        event: int | None = None,
        error: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        rows = await _services(request).inbox.list(system, status=status, limit=ROWS)
        return page(
            request,
            "inbound_events.html",
            status_code=status_code,
            system=system,
            status=status,
            states=EVENT_STATES,
            events=rows,
            done=done,
            event=event,
            error=error,
            limit=ROWS,
        )


def _events_url(system: str, done: str, event_id: int) -> str:
    query = urlencode({"system": system, "done": done, "event": event_id})
    return f"{PREFIX}/inbound-events?{query}#done"
