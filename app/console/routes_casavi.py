"""The console's casavi contract check: the table of ``portal-gateway casavi check`` for a
system, run from the browser (the write test only where the system's settings allow it).
Self-contained: its own template (``casavi_check.html``); its texts are in the catalogues."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.adapters.casavi.check import CheckReport
from app.configuration.contract_check import run_contract_check
from app.configuration.document import System
from app.console.web import PREFIX, page, require_session, see_other
from app.domain.calendar import utcnow
from app.errors import GatewayError
from app.sync.services import Services


def _results(request: Request[Any, Any, Any]) -> dict[str, tuple[Any, CheckReport | str]]:
    results: dict[str, tuple[Any, CheckReport | str]] = request.app.state.setdefault(
        "casavi_contract_checks", {}
    )
    return results


class CasaviCheckController(Controller):
    path = "/systems/{system:str}/casavi-check"
    guards = [require_session]

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        services: Services = request.app.state.services
        document = await services.configs.document(system)  # no secret is decrypted
        at, result = _results(request).get(system, (None, None))
        return page(
            request,
            "casavi_check.html",
            system=system,
            write_allowed=document.casavi.allow_write_test,
            at=at,
            report=result if isinstance(result, CheckReport) else None,
            failure=result if isinstance(result, str) else None,
            check_path=f"{PREFIX}/systems/{system}/casavi-check",
        )

    @post("/", status_code=303)
    async def run(self, request: Request[Any, Any, Any], system: FromPath[System]) -> Response[Any]:
        services: Services = request.app.state.services
        form = await request.form()
        result: CheckReport | str
        try:
            result = await run_contract_check(
                services.configs, system, write_test=form.get("writeTest") == "on"
            )
        except GatewayError as exc:
            result = exc.detail
        _results(request)[system] = (utcnow(), result)
        return see_other(f"{PREFIX}/systems/{system}/casavi-check")
