"""Rule S1 for iX-Haus plus: each ticket's service-portal field, one ticket or many at once."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System, TicketPortalStatusList, TicketPortalStatusView
from app.errors import InvalidInput, NotFound
from app.sync.ports import TicketPortalView

TicketNumber = Annotated[
    str, PathParameter(pattern=r"^[0-9]{1,18}$", description="iX-Haus ticket number")
]
MAX_BULK = 500
# 1 to MAX_BULK comma-separated ticket numbers: the pattern states all the server accepts.
NUMBERS = rf"^[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{MAX_BULK - 1}}}$"
NUMBERS_DESCRIPTION = f"1 to {MAX_BULK} comma-separated ticket numbers (digits only)"


def to_view(row: TicketPortalView) -> TicketPortalStatusView:
    return TicketPortalStatusView(**msgspec.structs.asdict(row))


class PortalStatusController(Controller):
    path = "/systems/{system:str}/tickets"
    tags = ["tickets"]

    @get(
        "/{ticket_number:str}/portal-status",
        summary="One ticket's service-portal field (rule S1)",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def one(
        self, services: ServicesDep, system: FromPath[System], ticket_number: TicketNumber
    ) -> TicketPortalStatusView:
        row = await services.portal_states.one(system, ticket_number)
        if row is None:
            raise NotFound(f"Ticket {ticket_number} has not been decided by a sync run yet.")
        return to_view(row)

    @get(
        "/portal-status",
        summary="The service-portal field of many tickets (the ticket overview, rule S1)",
        responses=problem_responses(*API_PROBLEMS, 422),
    )
    async def many(
        self,
        services: ServicesDep,
        system: FromPath[System],
        numbers: Annotated[str, QueryParameter(description=NUMBERS_DESCRIPTION, pattern=NUMBERS)],
    ) -> TicketPortalStatusList:
        wanted = [n.strip() for n in numbers.split(",") if n.strip()]
        if not wanted or len(wanted) > MAX_BULK or not all(n.isdigit() for n in wanted):
            raise InvalidInput(
                f"numbers must be 1 to {MAX_BULK} comma-separated ticket numbers",
                errors=[("numbers", "1 to 500 comma-separated digits")],
            )
        rows = await services.portal_states.many(system, wanted)
        return TicketPortalStatusList(items=[to_view(row) for row in rows])
