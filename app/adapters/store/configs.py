"""The systems' configurations (``sync.ports.Configs``): the one door for the flows, the API,
the console and the CLI. Each call is its own session and transaction (``ConfigRows``)."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import engine_of, read_connection
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
from app.configuration.rules import system_settings
from app.configuration.secrets import SecretBox
from app.configuration.shape import Found
from app.domain.catalogue import IxhausCatalogue
from app.errors import NotFound
from app.sync.ports import SystemSecrets, SystemSettings

_VERSION = select(SystemConfig.version).where(SystemConfig.system == bindparam("p_system"))


class SqlConfigs:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], secret_box: SecretBox
    ) -> None:
        self._sessions = session_factory
        self._box = secret_box

    async def version(self, system: str) -> int:
        # Every job and callback asks (a changed configuration applies at once): built once,
        # one autocommit read.
        async with read_connection(engine_of(self._sessions)) as conn:
            version = await conn.scalar(_VERSION, {"p_system": system})
        if version is None:
            raise NotFound(f"System {system!r} has no configuration row; run the migrations.")
        return version

    async def settings(self, system: str) -> SystemSettings:
        name = _system(system)
        async with self._sessions() as session:
            rows = ConfigRows(session, self._box)
            document = await rows.document(name)
            version = await session.scalar(
                select(SystemConfig.version).where(SystemConfig.system == name)
            )
            secrets = SystemSecrets(
                **{
                    field: await rows.secret(name, _camel(field))
                    for field in msgspec.structs.asdict(SystemSecrets())
                }
            )
        return system_settings(name, version or 0, document, secrets)

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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
