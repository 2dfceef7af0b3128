"""Overview, protocol (rules L1–L4), one run's protocol grid and CSV, ticket look-up (S1/S2),
and the two actions they offer: start a run, check a system's connections."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.plugins.htmx import ClientRefresh, HTMXRequest
from litestar.response import Stream

from app.alerts.overview import overview_alerts
from app.configuration.checks import check_system
from app.configuration.document import SYSTEMS, System
from app.console.i18n import LOCAL_ZONE
from app.console.web import (
    PREFIX,
    SECURITY_HEADERS,
    CheckResultAt,
    console_of,
    current_session,
    language_of,
    page,
    require_session,
    see_other,
)
from app.domain.calendar import utcnow
from app.domain.keys import EntityKind
from app.errors import InvalidInput, NotFound, SyncNotPossible
from app.sync.ports import ProtocolLine, SyncRunInfo
from app.sync.resend import RESENDABLE
from app.sync.runs import request_run
from app.sync.services import Services

PAGE_SIZE = 50
RECENT_RUNS = 50
MAX_ID = 2**31 - 1
PENDING = ("queued", "running")
OUTCOMES: tuple[str, ...] = ("error", "sent", "deleted", "excluded")
ENTITIES: tuple[str, ...] = tuple(kind.value for kind in EntityKind)
RESENDABLE_KINDS = frozenset(kind.value for kind in RESENDABLE)
RunId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def next_scheduled(
    active: bool, interval_minutes: int, last: dt.datetime | None, now: dt.datetime
) -> dt.datetime | Literal["due"] | None:
    """Rule C14: when the schedule will request the next run (quiet hours aside)."""
    if not active:
        return None
    if last is None:
        return "due"
    due = last + dt.timedelta(minutes=interval_minutes)
    return "due" if due <= now else due


def inbound_lag(oldest: dt.datetime | None, now: dt.datetime) -> tuple[str, int] | None:
    """The age of the oldest unprocessed inbox event as (i18n key, number), or None."""
    if oldest is None:
        return None
    seconds = max(0, int((now - oldest).total_seconds()))
    if seconds < 120:
        return "overview.lag_seconds", seconds
    return "overview.lag_minutes", seconds // 60


class PagesController(Controller):
    path = "/"
    guards = [require_session]

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Response[Any]:
        services = _services(request)
        console = console_of(request)
        systems = []
        for system in SYSTEMS:
            view = await services.configs.view(system)
            last_runs = await services.runs.recent(system, 1)
            last_scheduled = await services.runs.last_scheduled(system)
            parked, oldest = await services.inbox.backlog(system)
            deviations = services.contract_deviations
            systems.append(
                {
                    "name": system,
                    "view": view,
                    "last_run": last_runs[0] if last_runs else None,
                    "next_run": next_scheduled(
                        view.active, view.schedule.interval_minutes, last_scheduled, utcnow()
                    ),
                    "check": console.checks.get(system),
                    "parked": parked,
                    "lag": inbound_lag(oldest, utcnow()),
                    "deviations": await deviations.of_system(system) if deviations else [],
                }
            )
        return page(
            request,
            "overview.html",
            systems=systems,
            scheduler_here=console.scheduler_here,
            jobs_here=console.jobs_here,
            alerts=await overview_alerts(services, language_of(request)),
        )

    @post("/systems/{system:str}/check", status_code=303)
    async def check(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        report = await check_system(_services(request).configs, system)
        console_of(request).checks[system] = CheckResultAt(at=utcnow(), report=report)
        form = await request.form()
        back = f"{PREFIX}/systems/{system}/settings" if form.get("back") == "settings" else PREFIX
        return see_other(back + "#check-" + system)

    @post("/systems/{system:str}/runs", status_code=303)
    async def start_run(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        services = _services(request)
        active = (await services.configs.document(system)).active
        if not active:
            raise SyncNotPossible("The interface of this system is switched off (rule C12).")
        run, _ = await request_run(
            services.runs,
            services.queue,
            system=system,
            trigger="console",
            requested_by=f"console:{current_session(request).key_name}",
        )
        return see_other(f"{PREFIX}/runs/{run.id}")

    @get("/protocol")
    async def protocol(
        self,
        request: Request[Any, Any, Any],
        system: FromQuery[System | None] = None,
        day: Annotated[dt.date | None, QueryParameter(name="date")] = None,
    ) -> Response[Any]:
        services = _services(request)
        last: dict[str, SyncRunInfo | None] = {}
        for name in SYSTEMS:
            latest = await services.runs.recent(name, 1)
            last[name] = latest[0] if latest else None
        if day is not None:
            since = dt.datetime.combine(day, dt.time(), LOCAL_ZONE)
            before = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), LOCAL_ZONE)
            runs = await services.runs.recent(system, 1000, since=since, before=before)
        else:
            runs = await services.runs.recent(system, RECENT_RUNS)
        query = {k: v for k, v in (("date", day and day.isoformat()), ("system", system)) if v}
        language = language_of(request)
        return page(
            request,
            "protocol.html",
            last=last,
            runs=runs,
            system=system,
            day=day,
            day_label=day and (day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()),
            refresh_url=f"{PREFIX}/protocol" + (f"?{urlencode(query)}" if query else ""),
            recent=RECENT_RUNS,
        )

    @get("/runs/{run_id:int}")
    async def run(
        self,
        request: Request[Any, Any, Any],
        run_id: RunId,
        outcome: Annotated[str, QueryParameter(max_length=20)] = "",
        entity: Annotated[str, QueryParameter(max_length=40)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        # A filter form sends "all" as an empty value (``?outcome=&entity=&page=2``).
        if outcome and outcome not in OUTCOMES:
            raise InvalidInput(f"Unknown outcome {outcome!r}.")
        if entity and entity not in ENTITIES:
            raise InvalidInput(f"Unknown kind of record {entity!r}.")
        services = _services(request)
        info = await _run(services, run_id)
        kind = entity or None
        protocol = await services.runs.entries(
            run_id,
            outcome=outcome or None,
            entity=kind,
            after=0,
            offset=(page_number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        lines = protocol.lines if protocol else []
        return page(
            request,
            "run.html",
            run=info,
            pending=info.status in PENDING,
            lines=lines,
            has_next=protocol is not None and protocol.next_cursor is not None,
            page_number=page_number,
            outcome=outcome or None,
            entity=kind,
            outcomes=OUTCOMES,
            entities=ENTITIES,
            resendable=RESENDABLE_KINDS,
            filter_query=urlencode(
                {k: v for k, v in (("outcome", outcome), ("entity", entity)) if v}
            ),
        )

    @get("/runs/{run_id:int}/status")
    async def run_status(self, request: HTMXRequest, run_id: RunId) -> Response[Any]:
        """The run's summary while it is pending (htmx polls it); once the run has finished,
        an htmx poll reloads the whole page so the protocol grid appears too."""
        info = await _run(_services(request), run_id)
        if request.htmx and info.status not in PENDING:
            return ClientRefresh()
        return page(request, "_run_summary.html", run=info, pending=info.status in PENDING)

    @get("/runs/{run_id:int}/protocol.csv")
    async def run_csv(self, request: Request[Any, Any, Any], run_id: RunId) -> Stream:
        services = _services(request)
        await _run(services, run_id)
        return Stream(
            _csv_rows(services, run_id),
            media_type="text/csv; charset=utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="sync-run-{run_id}.csv"',
            },
        )


async def _run(services: Services, run_id: int) -> SyncRunInfo:
    info = await services.runs.get(run_id)
    if info is None:
        raise NotFound(f"No sync run {run_id}.")
    return info


def _cell(value: str | None) -> str:
    # A cell starting like a formula is prefixed, so a spreadsheet never evaluates it.
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def _csv_rows(services: Services, run_id: int) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entity_type", "entity_key", "outcome", "reason_code", "message", "at"])
    cursor: int | None = 0
    while cursor is not None:
        protocol = await services.runs.entries(
            run_id, outcome=None, entity=None, after=cursor, limit=1000
        )
        if protocol is None:
            return
        lines: list[ProtocolLine] = protocol.lines
        for line in lines:
            writer.writerow(
                [
                    line.key.kind.value,
                    _cell(line.key.ledger_key),
                    line.outcome,
                    _cell(line.reason_code),
                    _cell(line.message),
                    line.created_at.isoformat(),
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        cursor = protocol.next_cursor
