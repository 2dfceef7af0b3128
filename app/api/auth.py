"""API-key authentication (header ``X-API-Key``) with scopes, as a Litestar guard.

Each operation names the scope it needs in its ``opt`` (default ``ixhaus``); ``admin`` keys
may call everything. Failures are our own errors, so they leave as problem details.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

from app.adapters.store.api_keys import ApiKeyRepository, scope_allows
from app.errors import Forbidden, Unauthenticated

API_KEY_HEADER = "X-API-Key"
SECURITY_SCHEME_NAME = "apiKey"
SECURITY: list[dict[str, list[str]]] = [{SECURITY_SCHEME_NAME: []}]
SECURITY_COMPONENTS = Components(
    security_schemes={
        SECURITY_SCHEME_NAME: SecurityScheme(
            type="apiKey",
            name=API_KEY_HEADER,
            security_scheme_in="header",
            description="Issued by `portal-gateway apikey create`; scopes `ixhaus` and `admin`.",
        )
    }
)


async def require_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    required = str(handler.opt.get("scope", "ixhaus"))
    key = connection.headers.get(API_KEY_HEADER)
    if not key:
        raise Unauthenticated(f"Send an API key in the {API_KEY_HEADER} header.")
    session_factory = connection.app.state.session_factory
    async with session_factory() as session:
        found = await ApiKeyRepository(session).find_active(key)
    if found is None:
        raise Unauthenticated("The API key is unknown or revoked.")
    if not scope_allows(found.scope, required):
        raise Forbidden(f"This operation needs an API key with scope '{required}'.")
    connection.state.api_key_name = found.name
