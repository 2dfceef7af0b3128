"""Connection check of one system: casavi authentication, DocuWare, the iX-Haus database.

Each part reports ``ok``, ``failed`` or ``not_configured`` with a reason a person can act on.
Reasons name the failing step and the error type, never a URL with credentials or a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Literal

import msgspec

from app.adapters.casavi.errors import CasaviAuthFailed, CasaviError, CasaviUnavailable
from app.adapters.casavi.retry import RetryPolicy
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.docuware import (
    DocuwareAuthFailed,
    DocuwareError,
    DocuwareUnavailable,
    docuware_client,
)
from app.adapters.docuware import RetryPolicy as DocuwareRetryPolicy
from app.adapters.factories import casavi_client, docuware_grant_config
from app.configuration.document import ConfigDocument, System
from app.configuration.interface import InterfaceCheck, interface_report
from app.errors import DependencyUnavailable, GatewayError
from app.sync.ports import Configs

CHECK_TIMEOUT_SECONDS = 5.0
Status = Literal["ok", "failed", "not_configured"]


class CheckResult(msgspec.Struct, kw_only=True):
    status: Status
    reason: str


class CheckReport(msgspec.Struct, rename="camel", kw_only=True):
    system: System
    casavi: CheckResult
    docuware: CheckResult
    ixhaus: CheckResult
    # The iX-Haus interface against its definition: missing tables or views, columns,
    # wrong types and missing grants, with the features each stops (``ixhaus check``).
    ixhaus_interface: InterfaceCheck | None = None


async def check_system(service: Configs, system: System) -> CheckReport:
    document = await service.document(system)
    casavi, docuware, ixhaus = await asyncio.gather(
        _guard(_check_casavi(service, system, document)),
        _guard(_check_docuware(service, system, document)),
        _guard(_check_ixhaus(service, system)),
    )
    interface = None
    if ixhaus.status != "not_configured":
        interface = await interface_report(service, system, CHECK_TIMEOUT_SECONDS)
        if ixhaus.status == "ok" and interface.status != "ok":
            ixhaus = CheckResult(status="failed", reason=f"{ixhaus.reason}; {interface.reason}")
    return CheckReport(
        system=system,
        casavi=casavi,
        docuware=docuware,
        ixhaus=ixhaus,
        ixhaus_interface=interface,
    )


async def _guard(check: Awaitable[CheckResult]) -> CheckResult:
    try:
        return await check
    except GatewayError as exc:  # e.g. a secret that cannot be decrypted
        return CheckResult(status="failed", reason=exc.detail)


async def _check_casavi(service: Configs, system: System, doc: ConfigDocument) -> CheckResult:
    key = await service.secret(system, "casaviApiKey")
    secret = await service.secret(system, "casaviSecret")
    missing = [
        n
        for n, v in (
            ("casavi.baseUrl", doc.casavi.base_url),
            ("casaviApiKey", key),
            ("casaviSecret", secret),
        )
        if not v
    ]
    if missing:
        return CheckResult(status="not_configured", reason=f"not set: {', '.join(missing)}")
    assert doc.casavi.base_url is not None
    assert key
    assert secret
    config = CasaviClientConfig(
        base_url=doc.casavi.base_url,
        key=key,
        secret=secret,
        deadline_seconds=CHECK_TIMEOUT_SECONDS,
        retry=RetryPolicy(max_attempts=1),
    )
    try:
        async with casavi_client(config) as client:
            await client.authenticate()
    except CasaviAuthFailed:
        return CheckResult(status="failed", reason="casavi rejected the API key or secret")
    except CasaviUnavailable as exc:
        return CheckResult(status="failed", reason=f"cannot reach casavi: {exc.detail}")
    except CasaviError as exc:
        return CheckResult(status="failed", reason=f"casavi: {exc.detail}")
    return CheckResult(status="ok", reason="authenticated with casavi")


async def _check_docuware(service: Configs, system: System, doc: ConfigDocument) -> CheckResult:
    if doc.support.no_docuware_sync:
        return CheckResult(
            status="not_configured", reason="DocuWare sync is switched off (rule C13)"
        )
    dw = doc.docuware
    password = await service.secret(system, "docuwarePassword")
    client_secret = await service.secret(system, "docuwareClientSecret")
    needed: tuple[tuple[str, object], ...] = (
        ("docuware.baseUrl", dw.base_url),
        ("docuware.fileCabinetId", dw.file_cabinet_id),
    )
    if dw.grant == "client_credentials":
        needed += (("docuware.clientId", dw.client_id), ("docuwareClientSecret", client_secret))
    else:
        needed += (("docuware.username", dw.username), ("docuwarePassword", password))
        if dw.grant == "trusted":
            needed += (("docuware.impersonateName", dw.impersonate_name),)
    missing = [n for n, v in needed if not v]
    if missing:
        return CheckResult(status="not_configured", reason=f"not set: {', '.join(missing)}")
    config = docuware_grant_config(
        base_url=dw.base_url,
        grant=dw.grant,
        username=dw.username,
        password=password,
        client_id=dw.client_id,
        client_secret=client_secret,
        impersonate_name=dw.impersonate_name,
        organization=dw.organization,
        deadline_seconds=CHECK_TIMEOUT_SECONDS,
        retry=DocuwareRetryPolicy(max_attempts=1),
    )
    assert config is not None
    # One logon (it books a licence for the token's life) and one cabinet list; no log-off,
    # because a logon soon after a log-off can fail (KBA-36918).
    try:
        async with docuware_client(config) as client:
            cabinets = await client.cabinets()
    except DocuwareAuthFailed as exc:
        return CheckResult(status="failed", reason=f"DocuWare refused the logon: {exc.title}")
    except DocuwareUnavailable as exc:
        return CheckResult(status="failed", reason=f"cannot reach DocuWare: {exc.detail}")
    except DocuwareError as exc:
        return CheckResult(status="failed", reason=f"DocuWare: {exc.detail}")
    names = {c.id: c.name for c in cabinets}
    if dw.file_cabinet_id not in names:
        return CheckResult(
            status="failed",
            reason=f"logged on, but file cabinet {dw.file_cabinet_id!r} is not among the "
            f"{len(names)} cabinets this user may use",
        )
    return CheckResult(
        status="ok",
        reason=f"logged on to DocuWare; file cabinet {names[dw.file_cabinet_id]!r} "
        f"({len(names)} cabinets usable)",
    )


async def _check_ixhaus(service: Configs, system: System) -> CheckResult:
    try:
        catalogue = await service.catalogue(system)
    except DependencyUnavailable as exc:
        status: Status = "not_configured" if exc.detail.startswith("not set") else "failed"
        return CheckResult(status=status, reason=exc.detail)
    return CheckResult(
        status="ok",
        reason=f"read the iX-Haus interface: {len(catalogue.object_numbers)} objects, "
        f"{len(catalogue.users)} users",
    )
