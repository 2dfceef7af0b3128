"""The console's casavi contract check: the table of ``portal-gateway casavi check`` for a
system, run from the browser (the write test only where the system's settings allow it).
Self-contained: its own template (``casavi_check.html``) and German/English texts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.adapters.casavi.check import CheckReport
from app.configuration.contract_check import run_contract_check
from app.configuration.document import System
from app.console.web import PREFIX, console_of, language_of, page, require_session, see_other
from app.domain.calendar import utcnow
from app.errors import GatewayError
from app.sync.services import Services

TEXTS = {
    "de": {
        "title": "casavi-Vertragsprüfung",
        "intro": "Jede casavi-Operation, die das Gateway nutzt, live geprüft und mit "
        "openapi/casavi.yaml verglichen: Herkunft, Antwort, Abweichungen und was das Gateway "
        "daraus macht.",
        "run": "Prüfen",
        "write_test": "Mit Schreibtest (je Art ein markierter Datensatz, wieder gelöscht)",
        "write_off": "Schreibtest in den Einstellungen aus (casavi.allowWriteTest): nur lesen.",
        "never": "Noch nicht geprüft.",
        "at": "Geprüft",
        "ok": "Nichts, was die Einstellungen brauchen, ist blockiert.",
        "blocked": "Blockiert",
        "left": "In casavi geblieben (bitte von Hand löschen)",
        "cols": ("Operation", "Herkunft", "Antwort", "Abweichungen", "Gateway", "Hinweis"),
        "failed": "Die Prüfung konnte nicht laufen",
    },
    "en": {
        "title": "casavi contract check",
        "intro": "Every casavi operation the gateway uses, probed live and compared with "
        "openapi/casavi.yaml: provenance, answer, deviations and what the gateway will do.",
        "run": "Check",
        "write_test": "With the write test (one marked record per kind, removed again)",
        "write_off": "The write test is off in the settings (casavi.allowWriteTest): reads only.",
        "never": "Not checked yet.",
        "at": "Checked",
        "ok": "Nothing the settings need is blocked.",
        "blocked": "Blocked",
        "left": "Left in casavi (remove by hand)",
        "cols": ("Operation", "Provenance", "Answer", "Deviations", "Gateway", "Note"),
        "failed": "The check could not run",
    },
}


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
        settings = await services.configs.settings(system)
        at, result = _results(request).get(system, (None, None))
        language = language_of(request.state.get("console_session"))
        return page(
            request,
            "casavi_check.html",
            system=system,
            texts=TEXTS.get(language, TEXTS["en"]),
            write_allowed=settings.casavi_allow_write_test,
            at=at,
            report=result if isinstance(result, CheckReport) else None,
            failure=result if isinstance(result, str) else None,
            check_path=f"{PREFIX}/systems/{system}/casavi-check",
            jobs_here=console_of(request).jobs_here,
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
