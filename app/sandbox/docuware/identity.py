"""Identity endpoints: IdentityServiceInfo -> OpenID configuration -> token, and log-off.

The token endpoint takes the password grant and the trusted-user grant (``grant_type=trusted``
with ``impersonateName``) as DocuWare's Postman collection shows them. Every token issued is a
session that holds a licence until it expires or is logged off; a logon that finds no free
licence, or comes within ``relogonBlockSeconds`` of the same user's log-off, is refused.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qsl

from litestar import get, post
from litestar.handlers import BaseRouteHandler
from litestar.response import Response

from app.sandbox.docuware.common import (
    PLATFORM,
    AnyRequest,
    base_of,
    json_response,
    sim_of,
)
from app.sandbox.docuware.state import DocuwareSim

IDENTITY = "/DocuWare/Identity"
CLIENT_ID = "docuware.platform.net.client"
SCOPE = "docuware.platform"


def _oauth_error(error: str, description: str, status: int = 400) -> Response[bytes]:
    return json_response({"error": error, "error_description": description}, status)


@get(f"{PLATFORM}/Home/IdentityServiceInfo", sync_to_thread=False)
def identity_service_info(request: AnyRequest) -> Response[bytes]:
    return json_response(
        {"IdentityServiceUrl": f"{base_of(request)}{IDENTITY}", "RefreshTokenSupported": False}
    )


@get(f"{IDENTITY}/.well-known/openid-configuration", sync_to_thread=False)
def openid_configuration(request: AnyRequest) -> Response[bytes]:
    issuer = f"{base_of(request)}{IDENTITY}"
    return json_response(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/connect/token",
            "grant_types_supported": ["password", "trusted", "dwtoken", "client_credentials"],
        }
    )


@post(f"{IDENTITY}/connect/token", status_code=200)
async def token(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    sim.stats.token_requests += 1
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    grant = form.get("grant_type")
    client = form.get("client_id", "")
    if SCOPE not in form.get("scope", "").split():
        return _oauth_error("invalid_client", "unknown client or scope")
    if grant == "client_credentials":  # a registered application, no user
        app = sim.apps.get(client)
        secret_ok = app is not None and secrets.compare_digest(
            form.get("client_secret", "").encode(), app[0].encode()
        )
        if not secret_ok:
            return _oauth_error("invalid_client", "unknown application or wrong secret")
        assert app is not None
        return _issue(sim, app[1])
    if client != CLIENT_ID:
        return _oauth_error("invalid_client", "unknown client or scope")
    user, password = form.get("username", ""), form.get("password", "")
    if grant == "password":
        acting = user if user and sim.users.get(user) == password else None
    elif grant == "trusted":
        impersonated = form.get("impersonateName", "")
        trusted = user and sim.trusted_users.get(user) == password
        acting = impersonated if trusted and impersonated in sim.users else None
    else:
        return _oauth_error("unsupported_grant_type", f"grant {grant!r} is not supported")
    if acting is None:
        return _oauth_error("invalid_grant", "invalid_username_or_password")
    return _issue(sim, acting)


def _issue(sim: DocuwareSim, acting: str) -> Response[bytes]:
    refusal = sim.licence_refusal(acting)
    if refusal is not None:
        sim.stats.refused_logons += 1
        return _oauth_error("invalid_grant", refusal)
    issued = sim.issue_token(acting)
    return json_response(
        {
            "access_token": issued,
            "expires_in": int(sim.token_ttl_seconds),
            "token_type": "Bearer",
            "scope": SCOPE,
        }
    )


@get(f"{PLATFORM}/Account/Logoff", sync_to_thread=False)
def logoff(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" else ""
    session = sim.sessions.pop(bearer, None)
    if session is not None:
        sim.logoffs[session.user] = time.monotonic()
        sim.stats.logoffs += 1
    return Response(content=b"", status_code=200)


def identity_handlers() -> list[BaseRouteHandler]:
    return [identity_service_info, openid_configuration, token, logoff]
