"""Rule S1 for iX-Haus plus: each ticket's service-portal field, one ticket or many at once."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System, TicketPortalStatusList, TicketPortalStatusView
from app.domain.keys import TicketNumber
from app.errors import InvalidInput, MalformedRequest, NotFound
from app.sync.ports import TicketPortalView

TicketPath = Annotated[
    str, PathParameter(pattern=r"^[0-9]{1,18}$", description="iX-Haus ticket number")
]
MAX_BULK = 500
# 1 to MAX_BULK comma-separated ticket numbers: the pattern states all the server accepts.
NUMBERS = rf"^[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{MAX_BULK - 1}}}$"
NUMBERS_DESCRIPTION = f"1 to {MAX_BULK} comma-separated ticket numbers (digits only)"
NUMBER = r"^[0-9]{1,18}$"
NUMBER_LIST_SCHEMA = [
    Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING, pattern=NUMBER)),
    Schema(type=OpenAPIType.NULL),
]
# The ``number`` items joined by NUL (which the hostile-input guard keeps out of any query):
# one regex over the whole list instead of one per item.
_NUMBER_LIST = re.compile(r"[0-9]{1,18}(?:\x00[0-9]{1,18})*")


def _well_formed(numbers: list[str]) -> bool:
    joined = "\x00".join(numbers)
    return not numbers or (
        _NUMBER_LIST.fullmatch(joined) is not None and joined.count("\x00") == len(numbers) - 1
    )


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
        self, services: ServicesDep, system: FromPath[System], ticket_number: TicketPath
    ) -> TicketPortalStatusView:
        row = await services.stores.portal_states.one(system, TicketNumber(int(ticket_number)))
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
        numbers: Annotated[
            str | None, QueryParameter(description=NUMBERS_DESCRIPTION, pattern=NUMBERS)
        ] = None,
        number: Annotated[
            list[str] | None,
            QueryParameter(
                description="ticket numbers as iX-Haus plus sends them: ?number=1&number=2 "
                "(the answer keeps this order)",
                max_items=MAX_BULK,
                # The documented item pattern, checked by the handler (_well_formed):
                # validating it item by item cost ~0.1 ms of CPU for 100 numbers.
                schema_extra={"one_of": NUMBER_LIST_SCHEMA},
            ),
        ] = None,
    ) -> TicketPortalStatusList:
        """Either form; the items follow the order asked for, and numbers no run has decided
        yet are listed in ``unknown`` (rule S1)."""
        if (numbers is None) == (number is None):
            raise InvalidInput(
                "give the ticket numbers as numbers=1,2 or as number=1&number=2 (one form)",
                errors=[("numbers", "exactly one of numbers or number")],
            )
        if numbers is not None:
            field = "numbers"
            wanted = [n.strip() for n in numbers.split(",") if n.strip()]
            well_formed = all(n.isdigit() and len(n) <= 18 for n in wanted)
        else:
            field, wanted = "number", list(number or [])
            if not _well_formed(wanted):
                raise MalformedRequest(
                    "each number must be 1 to 18 digits",
                    errors=[("number", f"items must match {NUMBER}")],
                )
            well_formed = True
        if not wanted or len(wanted) > MAX_BULK or not well_formed:
            raise InvalidInput(
                f"{field} must be 1 to {MAX_BULK} ticket numbers (digits)",
                errors=[(field, f"1 to {MAX_BULK} ticket numbers of digits")],
            )
        found = {
            row.ticket_number: row
            for row in await services.stores.portal_states.many(system, wanted)
        }
        ordered = list(dict.fromkeys(wanted))
        return TicketPortalStatusList(
            # One conversion of the whole list (field by field, the same names).
            items=msgspec.convert(
                [found[n] for n in ordered if n in found],
                list[TicketPortalStatusView],
                from_attributes=True,
            ),
            unknown=[n for n in ordered if n not in found],
        )
