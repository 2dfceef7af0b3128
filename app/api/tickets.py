"""Triggers for iX-Haus plus: push one ticket or one note now, and reset the S2 columns.

Staff just saved a ticket or wrote a note: iX-Haus plus calls the trigger instead of
waiting for the next run. The answer says what was done or why not (rule S1).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, PathParameter

from app.api.deps import ServicesDep
from app.api.portal_status import TicketPath, to_view
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System, TicketPortalStatusView
from app.domain.keys import TicketNumber
from app.domain.reasons import text
from app.errors import NotFound
from app.sync.stores import two_way_of
from app.sync.tickets import MAX_NUMBER, PushResult, push_note, push_ticket

NoteId = Annotated[str, PathParameter(pattern=r"^[0-9]{1,18}$", description="iX-Haus note id")]


class TicketSyncView(msgspec.Struct, rename="camel", kw_only=True):
    """What a trigger did, or why not (rule S1). ``waiting``: not sent now because a record
    it names (its ticket in casavi) is not settled yet; the next run sends it."""

    ticket_number: str
    note_id: str | None
    outcome: Literal["sent", "unchanged", "removed", "waiting", "not_sent"]
    reason_code: str | None
    reason_text: str | None
    reason_text_en: str | None
    casavi_id: str | None
    portal: TicketPortalStatusView | None


def _view(result: PushResult) -> TicketSyncView:
    reason = result.reason
    return TicketSyncView(
        ticket_number=result.ticket_number,
        note_id=result.note_id,
        outcome=result.outcome,
        reason_code=reason.value if reason else None,
        reason_text=text(reason, "de") if reason else None,
        reason_text_en=text(reason, "en") if reason else None,
        casavi_id=result.casavi_id,
        portal=to_view(result.portal) if result.portal else None,
    )


_TRIGGER_PROBLEMS = problem_responses(*API_PROBLEMS, 404, 409, 502)


class TicketTriggerController(Controller):
    path = "/systems/{system:str}/tickets"
    tags = ["tickets"]

    @post(
        "/{ticket_number:str}/sync",
        status_code=200,
        summary="Push one ticket to casavi now (staff just saved it; resets S2)",
        responses=_TRIGGER_PROBLEMS,
    )
    async def sync_ticket(
        self, services: ServicesDep, system: FromPath[System], ticket_number: TicketPath
    ) -> TicketSyncView:
        async with services.contexts.use(system) as ctx:
            pushed = await push_ticket(
                ctx, ticket_number, policy=services.policy, clock=services.clock
            )
        return _view(pushed)

    @post(
        "/{ticket_number:str}/notes/{note_id:str}/sync",
        status_code=200,
        summary="Push one note of a ticket to casavi now (rules N1, N2)",
        responses=_TRIGGER_PROBLEMS,
    )
    async def sync_note(
        self,
        services: ServicesDep,
        system: FromPath[System],
        ticket_number: TicketPath,
        note_id: NoteId,
    ) -> TicketSyncView:
        async with services.contexts.use(system) as ctx:
            pushed = await push_note(
                ctx, ticket_number, note_id, policy=services.policy, clock=services.clock
            )
        return _view(pushed)

    @post(
        "/{ticket_number:str}/portal-activity/reset",
        status_code=200,
        summary="Staff changed the ticket: clear the two service-portal columns (rule S2)",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def reset_activity(
        self, services: ServicesDep, system: FromPath[System], ticket_number: TicketPath
    ) -> TicketPortalStatusView:
        number = TicketNumber(int(ticket_number))  # the path's digits (the pattern says so)
        stores = services.stores
        known = number <= MAX_NUMBER and await two_way_of(stores).portal_activity.reset(
            system, number, services.clock()
        )
        row = await stores.portal_states.one(system, number) if known else None
        if row is None:
            raise NotFound(f"Ticket {number} has no service-portal state yet.")
        return to_view(row)
