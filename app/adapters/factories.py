"""The adapters' factories: the only place below the composition roots that builds engines
and HTTP clients (the roots call these; flows ask a ``SystemContext`` for ports).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.adapters.ixhaus.schema import IxhausSchemaConfig, IxhausTables
from app.adapters.store.database import create_engine
from app.environment import normalise_database_url

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx
    from sqlalchemy.ext.asyncio import AsyncEngine

    from app.adapters.casavi.client import CasaviClient
    from app.adapters.casavi.settings import CasaviClientConfig
    from app.adapters.docuware.client import DocuwareClient
    from app.adapters.docuware.settings import DocuwareClientConfig
    from app.sync.context import SystemAdapters
    from app.sync.ports import SystemSettings

    # Builds the transport of each HTTP client the factories make (each client closes its
    # own). None, everywhere: httpx's own, the network. A composition root may pass one to
    # reach the systems another way (the test suite serves its simulators in process).
    TransportFactory = Callable[[], httpx.AsyncBaseTransport]

# The HTTP adapters (httpx and the casavi and DocuWare clients) are imported by the functions
# that build them: the iX-Haus engine and tables alone serve `config set` (the catalogue
# check) and `ixhaus check`, which then start ~0.1 s sooner.


def casavi_client(
    config: CasaviClientConfig, transport: TransportFactory | None = None
) -> CasaviClient:
    """One long-lived casavi client (auth, retries, throttle) for ``config``."""
    from app.adapters.casavi.client import CasaviClient

    return CasaviClient(config, transport=transport() if transport else None)


def ixhaus_engine(url: str) -> AsyncEngine:
    """An engine on the iX-Haus interface schema (``url`` is a secret: never log it)."""
    return create_engine(normalise_database_url(url))


def ixhaus_tables(schema: str | None, prefix: str, table_names: dict[str, str]) -> IxhausTables:
    """The interface's tables for these names; built once per naming and shared (they are
    only read). Building them costs about 5 ms of CPU, which every run, check and saved
    configuration paid."""
    return _tables(schema, prefix, tuple(sorted(table_names.items())))


@functools.lru_cache(maxsize=16)
def _tables(schema: str | None, prefix: str, names: tuple[tuple[str, str], ...]) -> IxhausTables:
    return IxhausTables(IxhausSchemaConfig(schema=schema, table_names=dict(names), prefix=prefix))


def docuware_grant_config(
    *,
    base_url: str | None,
    grant: str,
    username: str | None,
    password: str | None,
    client_id: str | None,
    client_secret: str | None,
    impersonate_name: str | None,
    organization: str | None,
    **options: Any,
) -> DocuwareClientConfig | None:
    """A DocuWare client's configuration for the system's grant, or None when what the grant
    needs is not set (password and trusted: user and password, trusted also the user to act
    as; client_credentials: the registered application's id and secret)."""
    from app.adapters.docuware.settings import DocuwareClientConfig

    if not base_url:
        return None
    if grant == "client_credentials":
        if not (client_id and client_secret):
            return None
        return DocuwareClientConfig(
            base_url=base_url,
            grant="client_credentials",
            client_id=client_id,
            client_secret=client_secret,
            organization_id=organization or None,
            **options,
        )
    if not (username and password) or (grant == "trusted" and not impersonate_name):
        return None
    return DocuwareClientConfig(
        base_url=base_url,
        username=username,
        password=password,
        grant="trusted" if grant == "trusted" else "password",
        impersonate_name=impersonate_name if grant == "trusted" else None,
        organization_id=organization or None,
        **options,
    )


def docuware_config(settings: SystemSettings) -> DocuwareClientConfig | None:
    """The DocuWare client's configuration, or None when DocuWare is not to be used: not
    configured, or switched off by "no DocuWare sync" (rule C13)."""
    from app.alerts.events import docuware_logon

    dw, secrets = settings.document.docuware, settings.secrets
    if settings.config.no_docuware_sync or not dw.file_cabinet_id:
        return None
    return docuware_grant_config(
        base_url=dw.base_url,
        grant=dw.grant,
        username=dw.username,
        password=secrets.docuware_password,
        client_id=dw.client_id,
        client_secret=secrets.docuware_client_secret,
        impersonate_name=dw.impersonate_name,
        organization=dw.organization,
        # Alerts: "DocuWare licences exhausted" opens with a refused logon, ends with the next.
        on_logon=functools.partial(docuware_logon, settings.system),
    )


async def open_system_adapters(
    settings: SystemSettings, *, transport: TransportFactory | None = None
) -> SystemAdapters:
    """A system's long-lived adapters, built from one configuration version; their HTTP
    clients over ``transport`` (default: the network)."""
    from app.adapters.casavi.document_portal import CasaviDocuments
    from app.adapters.casavi.inbound import CasaviInbound
    from app.adapters.casavi.portal import CasaviPortal
    from app.adapters.casavi.settings import CasaviClientConfig
    from app.adapters.document_contents import (
        DocuwareContents,
        IxhausDocumentFiles,
        SourceContents,
    )
    from app.adapters.docuware.client import docuware_client
    from app.adapters.docuware.documents import DocuwareDocuments
    from app.adapters.ixhaus.reader import IxhausReader
    from app.adapters.ixhaus.writer import IxhausWriter
    from app.errors import SyncNotPossible
    from app.sync.context import SystemAdapters

    ixhaus, secrets = settings.document.ixhaus, settings.secrets
    base_url = settings.document.casavi.base_url
    if not secrets.ixhaus_database_url:
        raise SyncNotPossible("The iX-Haus database is not configured (ixhausDatabaseUrl).")
    if not (base_url and secrets.casavi_api_key and secrets.casavi_secret):
        raise SyncNotPossible("casavi is not configured (base URL, API key and secret).")
    tables = ixhaus_tables(ixhaus.schema, ixhaus.table_prefix, dict(ixhaus.table_names))
    engine = ixhaus_engine(secrets.ixhaus_database_url)
    client = casavi_client(
        CasaviClientConfig(
            base_url=base_url,
            key=secrets.casavi_api_key,
            secret=secrets.casavi_secret,
            max_document_bytes=settings.config.max_document_bytes,  # D5, as configured
        ),
        transport,
    )
    ticket_user = settings.config.ticket_user_no
    # One long-lived DocuWare client per configuration version: one logon for every run.
    dw_config = docuware_config(settings)
    dw: DocuwareClient | None = (
        docuware_client(dw_config, transport=transport() if transport else None)
        if dw_config
        else None
    )
    root = ixhaus.document_root
    contents = SourceContents(
        IxhausDocumentFiles(Path(root) if root else None),
        DocuwareContents(dw) if dw else None,
    )

    async def close() -> None:
        try:
            await client.aclose()
            if dw is not None:
                await dw.aclose()
        finally:
            await engine.dispose()

    return SystemAdapters(
        source=IxhausReader(engine, tables),
        # Write-back needs the ticket user (rule C11) as author; without one nothing is written.
        writer=IxhausWriter(engine, ticket_user, tables) if ticket_user else None,
        # House notices without a responsible user are signed by the ticket user (C11).
        portal=CasaviPortal(client, ticket_user),
        close=close,
        documents=CasaviDocuments(client),
        contents=contents,
        docuware=(
            DocuwareDocuments(
                dw,
                settings.document.docuware.file_cabinet_id or "",
                settings.config.docuware_filters,
            )
            if dw
            else None
        ),
        casavi=CasaviInbound(client),
    )
