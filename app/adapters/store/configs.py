"""The systems' configurations (``sync.ports.Configs``): the one door for the flows, the API,
the console and the CLI. Each call is its own session and transaction (``ConfigRows``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.models import SystemConfig
from app.configuration.document import (
    SYSTEMS,
    ConfigChangeView,
    ConfigDocument,
    ConfigInput,
    ConfigView,
    Schedule,
    System,
)
from app.configuration.rules import to_sync_config
from app.configuration.secrets import SecretBox
from app.configuration.shape import Found
from app.domain.catalogue import IxhausCatalogue
from app.domain.conflicts import NOTES_POLICY, TWO_WAY_FIELDS
from app.errors import NotFound
from app.sync.ports import InboundSettings, SystemSettings


class SqlConfigs:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], secret_box: SecretBox
    ) -> None:
        self._sessions = session_factory
        self._box = secret_box

    async def version(self, system: str) -> int:
        async with self._sessions() as session:
            version = await session.scalar(
                select(SystemConfig.version).where(SystemConfig.system == system)
            )
        if version is None:
            raise NotFound(f"System {system!r} has no configuration row; run the migrations.")
        return version

    async def settings(self, system: str) -> SystemSettings:
        name = _system(system)
        async with self._sessions() as session:
            service = ConfigRows(session, self._box)
            doc = await service.document(name)
            version = await session.scalar(
                select(SystemConfig.version).where(SystemConfig.system == name)
            )
            return SystemSettings(
                system=name,
                version=version or 0,
                active=doc.active,
                config=to_sync_config(doc),
                casavi_base_url=doc.casavi.base_url,
                casavi_key=await service.secret(name, "casaviApiKey"),
                casavi_secret=await service.secret(name, "casaviSecret"),
                ixhaus_url=await service.secret(name, "ixhausDatabaseUrl"),
                ixhaus_schema=doc.ixhaus.schema,
                ixhaus_table_prefix=doc.ixhaus.table_prefix,
                ixhaus_table_names=dict(doc.ixhaus.table_names),
                ixhaus_document_root=doc.ixhaus.document_root,
                docuware_base_url=doc.docuware.base_url,
                docuware_username=doc.docuware.username,
                docuware_organization=doc.docuware.organization,
                docuware_cabinet_id=doc.docuware.file_cabinet_id,
                docuware_password=await service.secret(name, "docuwarePassword"),
                docuware_grant=doc.docuware.grant,
                docuware_client_id=doc.docuware.client_id,
                docuware_client_secret=await service.secret(name, "docuwareClientSecret"),
                docuware_impersonate_name=doc.docuware.impersonate_name,
                callback_secret=await service.secret(name, "callbackSecret"),
                casavi_allow_write_test=doc.casavi.allow_write_test,
                inbound=InboundSettings(
                    poll_seconds=doc.inbound.poll_seconds,
                    callbacks_enabled=doc.inbound.callbacks_enabled,
                    retention_days=doc.support.inbound_retention_days,
                    conflict_policies={
                        field: getattr(doc.conflict_policy, field)
                        for field in (*TWO_WAY_FIELDS, NOTES_POLICY)
                    },
                ),
            )

    async def schedules(self) -> list[tuple[str, Schedule]]:
        async with self._sessions() as session:
            systems = (
                await session.scalars(select(SystemConfig.system).where(SystemConfig.active))
            ).all()
            service = ConfigRows(session, self._box)
            return [(s, (await service.document(_system(s))).schedule) for s in systems]

    async def document(self, system: str) -> ConfigDocument:
        async with self._sessions() as session:
            return await ConfigRows(session, self._box).document(_system(system))

    async def view(self, system: str) -> ConfigView:
        async with self._sessions() as session:
            return await ConfigRows(session, self._box).view(_system(system))

    async def replace(
        self, system: str, body: ConfigInput, actor: str, found: Found = ()
    ) -> ConfigView:
        async with self._sessions() as session:
            rows = ConfigRows(session, self._box)
            return await rows.replace(_system(system), body, actor, found)

    async def patch(
        self, system: str, patch: dict[str, Any], actor: str, found: Found = ()
    ) -> ConfigView:
        async with self._sessions() as session:
            rows = ConfigRows(session, self._box)
            return await rows.patch(_system(system), patch, actor, found)

    async def changes(self, system: str, limit: int) -> list[ConfigChangeView]:
        async with self._sessions() as session:
            return await ConfigRows(session, self._box).changes(_system(system), limit)

    async def secret(self, system: str, api_name: str) -> str | None:
        async with self._sessions() as session:
            return await ConfigRows(session, self._box).secret(_system(system), api_name)

    async def catalogue(self, system: str) -> IxhausCatalogue:
        async with self._sessions() as session:
            return await ConfigRows(session, self._box).catalogue(_system(system))


def _system(system: str) -> System:
    for known in SYSTEMS:
        if known == system:
            return known
    raise NotFound(f"Unknown system {system!r}.")
