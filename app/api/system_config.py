"""Configuration per system (scope ``admin``): read, replace, patch, audit trail, check."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from app.api.deps import ServicesDep
from app.api.hardening import ALL_PROBLEMS_AT_ONCE, SHAPE_PROBLEMS
from app.api.problems import API_PROBLEMS, problem_responses
from app.configuration.checks import CheckReport, check_system
from app.configuration.document import ConfigChangeView, ConfigInput, ConfigView, System
from app.configuration.patch import ConfigPatch, merge_patch
from app.configuration.shape import Found

SystemPath = Annotated[System, PathParameter(description="production or test (rule C1)")]
WRITE_PROBLEMS = (*API_PROBLEMS, 413, 415, 422)


class ConfigChangeList(msgspec.Struct, rename="camel", kw_only=True):
    items: list[ConfigChangeView]


def _found(request: Request[Any, Any, Any]) -> Found:
    """Problems the strict decoding took out of the body (``hardening``)."""
    found: Found = request.scope.get("state", {}).get(SHAPE_PROBLEMS, ())
    return found


def _actor(request: Request[Any, Any, Any]) -> str:
    return f"apikey:{request.state.api_key_name}"


class SystemConfigController(Controller):
    path = "/systems/{system:str}"
    tags = ["configuration"]
    opt = {"scope": "admin"}

    @get(
        "/config",
        summary="The system's configuration (secrets: only whether they are set)",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def read(self, services: ServicesDep, system: SystemPath) -> ConfigView:
        return await services.configs.view(system)

    @put(
        "/config",
        summary="Replace the configuration; secrets are entered twice",
        responses=problem_responses(*WRITE_PROBLEMS),
        opt={ALL_PROBLEMS_AT_ONCE: True},
    )
    async def replace(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        system: SystemPath,
        data: JSONBody[ConfigInput],
    ) -> ConfigView:
        return await services.configs.replace(system, data, _actor(request), _found(request))

    @patch(
        "/config",
        summary="Change part of the configuration (JSON merge patch, RFC 7396)",
        responses=problem_responses(*WRITE_PROBLEMS),
        opt={ALL_PROBLEMS_AT_ONCE: True},
    )
    async def change(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        system: SystemPath,
        data: JSONBody[ConfigPatch],
    ) -> ConfigView:
        return await services.configs.patch(
            system, merge_patch(data), _actor(request), _found(request)
        )

    @get(
        "/config/changes",
        summary="Audit trail: who changed which fields when",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def changes(
        self,
        services: ServicesDep,
        system: SystemPath,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> ConfigChangeList:
        return ConfigChangeList(items=await services.configs.changes(system, limit))

    @post(
        "/check",
        status_code=200,
        summary="Try casavi, DocuWare and the iX-Haus database",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def check(self, services: ServicesDep, system: SystemPath) -> CheckReport:
        return await check_system(services.configs, system)
