"""API-key authentication (header ``X-API-Key``) with scopes, as a Litestar guard.

Each operation names the scope it needs in its ``opt`` (default ``ixhaus``); ``admin`` keys
may call everything. Failures are our own errors, so they leave as problem details.

Failed authentications are rate-limited per client address (issue 10 item 7): after
``AUTH_FAILURES_PER_MINUTE`` failures a client gets 429 with ``Retry-After`` until its budget
refills. The budget lives in the process: each API process counts on its own, and behind a
reverse proxy the client address is the proxy's.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

from app.adapters.store.api_keys import ApiKeyRepository, scope_allows
from app.errors import Forbidden, TooManyRequests, Unauthenticated

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


class FailureLimiter:
    """A token bucket of failed authentications per client: ``per_minute`` tokens, refilled
    evenly over a minute. Bounded in memory: the least recently seen clients are forgotten."""

    def __init__(
        self,
        per_minute: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, client: str) -> float:
        tokens, stamp = self._buckets.get(client, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - stamp) * self._rate)

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again, or None if it may try now."""
        tokens = self._tokens(client)
        if tokens >= 1:
            return None
        return max(1, math.ceil((1 - tokens) / self._rate))

    def failed(self, client: str) -> None:
        self._buckets[client] = (max(0.0, self._tokens(client) - 1), self._clock())
        self._buckets.move_to_end(client)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)


def _client(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def require_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    required = str(handler.opt.get("scope", "ixhaus"))
    limiter: FailureLimiter = connection.app.state.auth_limiter
    client = _client(connection)
    wait = limiter.retry_after(client)
    if wait is not None:
        raise TooManyRequests(
            "Too many failed authentications from this client; try again later.",
            retry_after=wait,
        )
    key = connection.headers.get(API_KEY_HEADER)
    if not key:
        limiter.failed(client)
        raise Unauthenticated(f"Send an API key in the {API_KEY_HEADER} header.")
    session_factory = connection.app.state.session_factory
    async with session_factory() as session:
        found = await ApiKeyRepository(session).find_active(key)
    if found is None:
        limiter.failed(client)
        raise Unauthenticated("The API key is unknown or revoked.")
    if not scope_allows(found.scope, required):
        raise Forbidden(f"This operation needs an API key with scope '{required}'.")
    connection.state.api_key_name = found.name
