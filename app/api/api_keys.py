"""API keys (scope ``admin``): list and revoke. Keys are created with the CLI, shown once."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Protocol

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import PathParameter

from app.adapters.store.api_keys import KEY_NAME_PATTERN, ApiKeyRepository
from app.api.auth import KeyCache
from app.api.deps import DbSession
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import ApiKeyList, ApiKeyView


class KeyRow(Protocol):
    """What the repository returns per key (never the key or its hash)."""

    name: str
    scope: Literal["ixhaus", "admin"]
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def to_view(row: KeyRow) -> ApiKeyView:
    return ApiKeyView(
        name=row.name,
        scope=row.scope,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class ApiKeyController(Controller):
    path = "/api-keys"
    tags = ["administration"]
    opt = {"scope": "admin"}

    @get(
        summary="All API keys (never the keys themselves)",
        responses=problem_responses(*API_PROBLEMS),
    )
    async def list_keys(self, db_session: DbSession) -> ApiKeyList:
        rows = await ApiKeyRepository(db_session).list()
        return ApiKeyList(items=[to_view(row) for row in rows])

    @post(
        "/{name:str}/revoke",
        status_code=200,
        summary="Revoke an API key; it stops working at once",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def revoke(
        self,
        db_session: DbSession,
        state: State,
        name: Annotated[str, PathParameter(pattern=KEY_NAME_PATTERN)],
    ) -> ApiKeyView:
        row = await ApiKeyRepository(db_session).revoke(name)
        await db_session.commit()
        # This process stops trusting the key at once; other processes within
        # KEY_CACHE_SECONDS (app.api.auth).
        cache: KeyCache = state.api_key_cache
        cache.forget(row.name)
        return to_view(row)
