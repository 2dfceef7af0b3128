"""The live contract check: every casavi operation the gateway uses, probed on a real casavi
and compared with openapi/casavi.yaml (``portal-gateway casavi check``, the console)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from app.adapters.casavi.check.probe import Prober
from app.adapters.casavi.check.reads import read_probes
from app.adapters.casavi.check.rows import CALLBACKS, Row, needed, new_rows
from app.adapters.casavi.check.writes import write_probes
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.contract import contract
from app.adapters.casavi.errors import CasaviAuthFailed, CasaviError

__all__ = ["CheckReport", "Row", "check_contract"]


@dataclass
class CheckReport:
    system: str
    base_url: str
    write_test: bool
    documents: bool  # the settings send documents
    callbacks: bool  # the settings accept callbacks
    rows: list[Row]
    left_behind: list[str] = field(default_factory=list)

    def blocked(self) -> list[Row]:
        """Rows blocking a feature the system's settings need."""
        return [
            r
            for r in self.rows
            if r.action == "blocked" and needed(r.feature, documents=self.documents)
        ]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked() else 0

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "baseUrl": self.base_url,
            "writeTest": self.write_test,
            "ok": self.exit_code == 0,
            "blocked": [r.operation for r in self.blocked()],
            "leftBehind": self.left_behind,
            "rows": [r.as_dict() for r in self.rows],
        }

    def table(self) -> str:
        head = ("operation", "provenance", "live", "deviations", "gateway", "note")
        lines = [
            (
                r.operation,
                _provenance(r),
                r.status,
                "; ".join(r.deviations()) or "-",
                r.verdict,
                r.note,
            )
            for r in self.rows
        ]
        widths = [max(len(head[i]), *(len(line[i]) for line in lines)) for i in range(5)]
        out = [
            "  ".join(
                cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(line)
            ).rstrip()
            for line in (head, *lines)
        ]
        summary = (
            "nothing the settings need is blocked"
            if not self.blocked()
            else "blocked: " + ", ".join(f"{r.operation} ({r.feature})" for r in self.blocked())
        )
        out.append(f"casavi {self.base_url} for system {self.system}: {summary}")
        if self.left_behind:
            out.append("left in casavi (remove by hand): " + ", ".join(self.left_behind))
        return "\n".join(out)


def _provenance(row: Row) -> str:
    if row.source.startswith("http"):
        parts = urlsplit(row.source)
        where = (parts.netloc + parts.path.rstrip("/"))[:48]
    else:
        where = "none public"
    flagged = " (evidence against)" if row.against else ""
    return f"{row.provenance}: {where}{flagged}"


def _callback_row(enabled: bool) -> Row:
    hook = contract()["webhooks"]["casaviEvent"]["post"]
    row = Row(
        "receiveCasaviEvent",
        "POST",
        "casavi -> /api/v1/systems/{system}/callbacks/casavi",
        hook["x-provenance"],
        str(hook.get("x-source", "")),
        None,
        CALLBACKS,
        False,
    )
    row.note = "not offered by casavi natively; " + (
        "accepted here (a relay may send them), the poll brings everything anyway"
        if enabled
        else "switched off: the poll brings tenants' tickets and messages"
    )
    return row


async def check_contract(
    client: CasaviClient, *, system: str, write_test: bool, documents: bool, callbacks: bool
) -> CheckReport:
    rows = new_rows()
    report = CheckReport(system, client.http.config.base_url, write_test, documents, callbacks, [])
    auth = rows["authenticate"]
    auth.probed = True
    try:
        await client.authenticate()
        auth.status, auth.http_status = "200", 200
    except CasaviAuthFailed as exc:
        auth.status, auth.http_status = f"{exc.http_status or 401}", exc.http_status or 401
    except (CasaviError, httpx.HTTPError) as exc:
        auth.unavailable, auth.status = True, f"unavailable ({type(exc).__name__})"
    if auth.action == "works":
        probe = Prober(client, rows)
        await read_probes(probe)
        if write_test:
            report.left_behind = await write_probes(probe)
    report.rows = [*rows.values(), _callback_row(callbacks)]
    return report
