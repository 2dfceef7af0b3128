"""A configured system's live iX-Haus interface against its definition (the CLI's
``ixhaus check`` and the connection check's ``interface`` part)."""

from __future__ import annotations

from typing import Literal

import msgspec

from app.adapters.ixhaus.interface_check import InterfaceReport, check_interface_from
from app.configuration.document import System
from app.errors import GatewayError
from app.sync.ports import Configs


class InterfaceCheck(msgspec.Struct, rename="camel", kw_only=True):
    system: System
    status: Literal["ok", "failed", "not_configured"]
    reason: str
    report: InterfaceReport | None = None


async def interface_report(service: Configs, system: System, seconds: float) -> InterfaceCheck:
    try:
        url = await service.secret(system, "ixhausDatabaseUrl")
    except GatewayError as exc:  # e.g. the secret cannot be decrypted
        return InterfaceCheck(system=system, status="failed", reason=exc.detail)
    if not url:
        return InterfaceCheck(
            system=system, status="not_configured", reason="not set: ixhausDatabaseUrl"
        )
    doc = (await service.document(system)).ixhaus
    try:
        report = await check_interface_from(
            url, doc.schema, doc.table_prefix, doc.table_names, seconds=seconds
        )
    except Exception as exc:  # never the URL: the error's type says enough to act on
        return InterfaceCheck(
            system=system,
            status="failed",
            reason=f"cannot inspect the iX-Haus interface: {type(exc).__name__}",
        )
    if report.ok:
        reason = f"the interface is complete ({report.tables} tables and views)"
        return InterfaceCheck(system=system, status="ok", reason=reason, report=report)
    reason = f"{len(report.problems)} problem(s) in the interface; affected: " + ", ".join(
        report.affected
    )
    return InterfaceCheck(system=system, status="failed", reason=reason, report=report)
