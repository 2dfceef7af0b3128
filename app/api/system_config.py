"""Configuration per system (scope ``admin``): read, replace, patch, audit trail, check."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeAlias

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from app.api.deps import DbSession
from app.api.problems import API_PROBLEMS, problem_responses
from app.configuration.checks import CheckReport, check_system
from app.configuration.document import ConfigInput, ConfigView, System
from app.configuration.patch import ConfigPatch, merge_patch
from app.configuration.service import ConfigService

SystemPath = Annotated[System, PathParameter(description="production or test (rule C1)")]
WRITE_PROBLEMS = (*API_PROBLEMS, 413, 415, 422)


class ConfigChangeView(msgspec.Struct, rename="camel", kw_only=True):
    actor: str
    changed_at: dt.datetime
    fields: list[str]


class ConfigChangeList(msgspec.Struct, rename="camel", kw_only=True):
    items: list[ConfigChangeView]


Service: TypeAlias = NamedDependency[ConfigService]


def provide_config_service(db_session: DbSession, state: State) -> ConfigService:
    return ConfigService(db_session, state.secret_box)


def _actor(request: Request[Any, Any, Any]) -> str:
    return f"apikey:{request.state.api_key_name}"


class SystemConfigController(Controller):
    path = "/systems/{system:str}"
    tags = ["configuration"]
    opt = {"scope": "admin"}
    dependencies = {"config_service": Provide(provide_config_service, sync_to_thread=False)}

    @get(
        "/config",
        summary="The system's configuration (secrets: only whether they are set)",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def read(self, config_service: Service, system: SystemPath) -> ConfigView:
        return await config_service.view(system)

    @put(
        "/config",
        summary="Replace the configuration; secrets are entered twice",
        responses=problem_responses(*WRITE_PROBLEMS),
    )
    async def replace(
        self,
        request: Request[Any, Any, Any],
        config_service: Service,
        system: SystemPath,
        data: JSONBody[ConfigInput],
    ) -> ConfigView:
        return await config_service.replace(system, data, _actor(request))

    @patch(
        "/config",
        summary="Change part of the configuration (JSON merge patch, RFC 7396)",
        responses=problem_responses(*WRITE_PROBLEMS),
    )
    async def change(
        self,
        request: Request[Any, Any, Any],
        config_service: Service,
        system: SystemPath,
        data: JSONBody[ConfigPatch],
    ) -> ConfigView:
        return await config_service.patch(system, merge_patch(data), _actor(request))

    @get(
        "/config/changes",
        summary="Audit trail: who changed which fields when",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def changes(
        self,
        config_service: Service,
        system: SystemPath,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> ConfigChangeList:
        rows = await config_service.changes(system, limit)
        return ConfigChangeList(
            items=[
                ConfigChangeView(actor=r.actor, changed_at=r.changed_at, fields=r.fields)
                for r in rows
            ]
        )

    @post(
        "/check",
        status_code=200,
        summary="Try casavi, DocuWare and the iX-Haus database",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def check(self, config_service: Service, system: SystemPath) -> CheckReport:
        return await check_system(config_service, system)
