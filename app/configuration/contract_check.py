"""The live contract check of one system's casavi (``portal-gateway casavi check``, the
console): built from the system's stored settings, secrets included."""

from __future__ import annotations

import httpx

from app.adapters.casavi.check import CheckReport, check_contract
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.settings import CasaviClientConfig
from app.errors import Conflict, SyncNotPossible
from app.sync.ports import Configs


class WriteTestNotAllowed(Conflict):
    code = "write-test-not-allowed"
    title = "This system's settings do not allow the write test"


async def run_contract_check(
    configs: Configs,
    system: str,
    *,
    write_test: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckReport:
    settings = await configs.settings(system)
    casavi, secrets = settings.document.casavi, settings.secrets
    if write_test and not casavi.allow_write_test:
        raise WriteTestNotAllowed(
            f"casavi.allowWriteTest is off for system {system}: the check only reads there."
        )
    if not (casavi.base_url and secrets.casavi_api_key and secrets.casavi_secret):
        raise SyncNotPossible("casavi is not configured (base URL, API key and secret).")
    config = CasaviClientConfig(
        base_url=casavi.base_url,
        key=secrets.casavi_api_key,
        secret=secrets.casavi_secret,
        system=system,
        deadline_seconds=20.0,
    )
    documents = bool(settings.document.ixhaus.document_root) or bool(
        settings.document.docuware.base_url and not settings.config.no_docuware_sync
    )
    async with CasaviClient(config, transport=transport) as client:
        return await check_contract(
            client,
            system=system,
            write_test=write_test,
            documents=documents,
            callbacks=settings.inbound.callbacks_enabled,
        )
