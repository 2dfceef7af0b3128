"""Tickets (rules S1/S2): the list of a system's tickets, paged and filtered by S1 status
and reason, searched by number, the active system first; and one ticket's page with its
timeline and the actions "push now" and "re-send"."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, PathParameter, QueryParameter

from app.adapters.store.database import engine_of
from app.adapters.store.ticket_views import (
    TicketFilter,
    reason_codes,
    ticket_list,
    ticket_timeline,
)
from app.configuration.document import SYSTEMS, System
from app.console.web import page, require_session
from app.domain import keys
from app.errors import InvalidInput
from app.sync.services import Services

PAGE_SIZE = 50
TicketNumber = Annotated[str, PathParameter(pattern=r"^[0-9]{1,18}$")]


async def _active_first(request: Request[Any, Any, Any]) -> tuple[list[str], dict[str, bool]]:
    services: Services = request.app.state.services
    active: dict[str, bool] = {}
    for name in SYSTEMS:
        active[name] = (await services.configs.document(name)).active
    return sorted(SYSTEMS, key=lambda system: not active[system]), active


class TicketsController(Controller):
    path = "/tickets"
    guards = [require_session]

    @get("/")
    async def tickets(
        self,
        request: Request[Any, Any, Any],
        system: Annotated[str, QueryParameter(max_length=20)] = "",
        status: Annotated[str, QueryParameter(max_length=20)] = "",
        reason: Annotated[str, QueryParameter(max_length=64)] = "",
        number: Annotated[str, QueryParameter(max_length=40)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        systems, active = await _active_first(request)
        # No system chosen: the active one (the list would be empty on a switched-off one).
        chosen = system or systems[0]
        if chosen not in SYSTEMS or status not in ("", "transferred", "not_transferred"):
            raise InvalidInput(f"Unknown filter {chosen!r}/{status!r}.")
        number = number.strip()
        problem = None
        if number and (not number.isdigit() or len(number) > 18):
            problem, number = "tickets.invalid_number", ""
        engine = engine_of(request.app.state.session_factory)
        where = TicketFilter(
            transferred=None if not status else status == "transferred",
            reason_code=reason or None,
            number=number or None,
        )
        rows, total = await ticket_list(
            engine, chosen, where, offset=(page_number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        query = {
            k: v
            for k, v in (
                ("system", chosen),
                ("status", status),
                ("reason", reason),
                ("number", number),
            )
            if v
        }
        return page(
            request,
            "tickets.html",
            systems=systems,
            active=active,
            system=chosen,
            status=status,
            reason_filter=reason,
            reasons=await reason_codes(engine, chosen),
            number=number,
            problem=problem,
            rows=rows,
            total=total,
            page_number=page_number,
            has_next=page_number * PAGE_SIZE < total,
            filter_query=urlencode(query),
        )

    @get("/{system:str}/{number:str}")
    async def ticket(
        self, request: Request[Any, Any, Any], system: FromPath[System], number: TicketNumber
    ) -> Response[Any]:
        services: Services = request.app.state.services
        found = await services.stores.portal_states.one(system, keys.TicketNumber(int(number)))
        timeline = await ticket_timeline(
            engine_of(request.app.state.session_factory), system, number
        )
        _, active = await _active_first(request)
        return page(
            request,
            "ticket.html",
            system=system,
            number=number,
            found=found,
            timeline=timeline,
            active=active[system],
        )
