"""Request-scoped dependencies of the API."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.sync.services import Services

DbSession: TypeAlias = NamedDependency[AsyncSession]


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.session_factory() as session:
        yield session


def provide_services(state: State) -> Services:
    services: Services = state.services
    return services


ServicesDep: TypeAlias = NamedDependency[Services]
