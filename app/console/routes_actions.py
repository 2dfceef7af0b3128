"""Per-system and per-record actions: the dry run's plan as a page, re-send one record (the
run grid, a ticket), push one ticket now (as iX-Haus plus would). The same flows as the API
(``plan_run``, ``resend``, ``push_ticket``); their outcome is shown as a page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, PathParameter

from app.configuration.document import System
from app.console.web import page, require_session
from app.sync.outbound.plan import plan_run
from app.sync.resend import record_key, resend
from app.sync.services import Services
from app.sync.tickets import push_ticket

TicketNumber = Annotated[str, PathParameter(pattern=r"^[0-9]{1,18}$")]
# The dry run's page lists this many records (the counts cover all of them).
PLAN_ROWS = 500


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


class ActionsController(Controller):
    path = "/systems/{system:str}"
    guards = [require_session]

    @get("/dry-run")
    async def dry_run(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        """What a run would do now; nothing is sent or written (as ``dryRun: true``)."""
        services = _services(request)
        async with services.contexts.use(system) as ctx:
            plan = await plan_run(ctx, now=services.clock(), kinds=None)
        return page(request, "dry_run.html", system=system, plan=plan, items=plan.items[:PLAN_ROWS])

    @post("/records/resend", status_code=200)
    async def resend_record(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        form = await request.form()
        raw = form.get("entity_key")
        key = record_key(raw if isinstance(raw, str) else "")
        services = _services(request)
        async with services.contexts.use(system) as ctx:
            result = await resend(ctx, key, now=services.clock())
        return page(request, "action_result.html", system=system, action="resend", result=result)

    @post("/tickets/{number:str}/push", status_code=200)
    async def push(
        self, request: Request[Any, Any, Any], system: FromPath[System], number: TicketNumber
    ) -> Response[Any]:
        services = _services(request)
        async with services.contexts.use(system) as ctx:
            result = await push_ticket(ctx, number, policy=services.policy, clock=services.clock)
        return page(request, "action_result.html", system=system, action="push", result=result)
