"""The adapters' factories: the only place below the composition roots that builds engines
and HTTP clients (the roots call these; flows ask a ``SystemContext`` for ports).
"""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.document_portal import CasaviDocuments
from app.adapters.casavi.inbound import CasaviInbound
from app.adapters.casavi.portal import CasaviPortal
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.document_contents import DocuwareContents, IxhausDocumentFiles, SourceContents
from app.adapters.docuware.client import DocuwareClient, docuware_client
from app.adapters.docuware.documents import DocuwareDocuments
from app.adapters.docuware.settings import DocuwareClientConfig
from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import IxhausSchemaConfig, IxhausTables
from app.adapters.ixhaus.writer import IxhausWriter
from app.adapters.store.database import create_engine
from app.alerts.events import docuware_logon
from app.config import normalise_database_url
from app.errors import SyncNotPossible
from app.sync.context import SystemAdapters
from app.sync.ports import SystemSettings


def casavi_client(config: CasaviClientConfig) -> CasaviClient:
    """One long-lived casavi client (auth, retries, throttle) for ``config``."""
    return CasaviClient(config)


def ixhaus_engine(url: str) -> AsyncEngine:
    """An engine on the iX-Haus interface schema (``url`` is a secret: never log it)."""
    return create_engine(normalise_database_url(url))


def ixhaus_tables(schema: str | None, prefix: str, table_names: dict[str, str]) -> IxhausTables:
    return IxhausTables(IxhausSchemaConfig(schema=schema, table_names=table_names, prefix=prefix))


def docuware_config(settings: SystemSettings) -> DocuwareClientConfig | None:
    """The DocuWare client's configuration, or None when DocuWare is not to be used: not
    configured, or switched off by "no DocuWare sync" (rule C13)."""
    if settings.config.no_docuware_sync:
        return None
    if not (settings.docuware_base_url and settings.docuware_username):
        return None
    if not (settings.docuware_password and settings.docuware_cabinet_id):
        return None
    return DocuwareClientConfig(
        base_url=settings.docuware_base_url,
        username=settings.docuware_username,
        password=settings.docuware_password,
        # Alerts: "DocuWare licences exhausted" opens with a refused logon, ends with the next.
        on_logon=functools.partial(docuware_logon, settings.system),
    )


async def open_system_adapters(settings: SystemSettings) -> SystemAdapters:
    """A system's long-lived adapters, built from one configuration version."""
    if not settings.ixhaus_url:
        raise SyncNotPossible("The iX-Haus database is not configured (ixhausDatabaseUrl).")
    if not (settings.casavi_base_url and settings.casavi_key and settings.casavi_secret):
        raise SyncNotPossible("casavi is not configured (base URL, API key and secret).")
    tables = ixhaus_tables(
        settings.ixhaus_schema, settings.ixhaus_table_prefix, settings.ixhaus_table_names
    )
    engine = ixhaus_engine(settings.ixhaus_url)
    client = casavi_client(
        CasaviClientConfig(
            base_url=settings.casavi_base_url,
            key=settings.casavi_key,
            secret=settings.casavi_secret,
            max_document_bytes=settings.config.max_document_bytes,  # D5, as configured
        )
    )
    ticket_user = settings.config.ticket_user_no
    # One long-lived DocuWare client per configuration version: one logon for every run.
    dw_config = docuware_config(settings)
    dw: DocuwareClient | None = docuware_client(dw_config) if dw_config else None
    root = settings.ixhaus_document_root
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
                dw, settings.docuware_cabinet_id or "", settings.config.docuware_filters
            )
            if dw
            else None
        ),
        casavi=CasaviInbound(client),
    )
