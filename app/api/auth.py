"""API-key authentication (header ``X-API-Key``) with scopes, as a Litestar guard.

Each operation names the scope it needs in its ``opt`` (default ``ixhaus``); ``admin`` keys
may call everything. Failures are our own errors, so they leave as problem details.

A verified key is remembered in the process for ``KEY_CACHE_SECONDS`` (by its SHA-256 hash,
never the key), so a busy client costs one database lookup per key and interval instead of a
second database session per request. Revoking a key over this process's API forgets it at
once; a revocation anywhere else (the CLI, another API process) takes effect here within
``KEY_CACHE_SECONDS``. Unknown and revoked keys are never remembered: they are looked up
every time (and rate-limited).

Failed authentications are rate-limited per client address and per presented key prefix
(``app.api.auth_failures``): after ``AUTH_FAILURES_PER_MINUTE`` failures a client gets 429
with ``Retry-After`` until its budget refills. A presented key is always looked up first, so
a valid key is never refused for failures others made from its address (issue 23 item 2).
The client address is the peer's, or what a proxy listed in ``TRUSTED_PROXIES`` forwarded
(``app.api.proxies``). The budgets live in the process: each API process counts on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

from app.adapters.store.api_keys import active_key, hash_key, scope_allows
from app.api.auth_failures import AuthFailures
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


# How long a verified key is trusted without asking the database again: the bound for a
# revocation made outside this process (the CLI, another API process) to take effect here.
KEY_CACHE_SECONDS = 5.0


class KeyCache:
    """Verified keys by hash -> (name, scope), each for ``seconds``; bounded in memory."""

    def __init__(
        self,
        seconds: float = KEY_CACHE_SECONDS,
        *,
        max_keys: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self._max_keys = max_keys
        self._clock = clock
        self._keys: dict[str, tuple[str, str, float]] = {}
        # Counts revocations seen here: a lookup that started before one is not remembered
        # (it may have read the key as active just before the revocation committed).
        self.generation = 0

    def get(self, key_hash: str) -> tuple[str, str] | None:
        found = self._keys.get(key_hash)
        if found is None:
            return None
        name, scope, until = found
        if self._clock() >= until:
            del self._keys[key_hash]
            return None
        return name, scope

    def put(self, key_hash: str, name: str, scope: str, *, generation: int) -> None:
        """Remember a key verified by a lookup that started at ``generation``."""
        if generation != self.generation:
            return
        if len(self._keys) >= self._max_keys:
            self._keys.clear()  # many distinct valid keys is unusual: start over
        self._keys[key_hash] = (name, scope, self._clock() + self._seconds)

    def forget(self, name: str) -> None:
        """Drop the key named ``name`` (it was revoked in this process)."""
        self.generation += 1
        for key_hash in [h for h, (n, _, _) in self._keys.items() if n == name]:
            del self._keys[key_hash]


def _client(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def require_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    required = str(handler.opt.get("scope", "ixhaus"))
    key = connection.headers.get(API_KEY_HEADER)
    found = await _verified(connection, key) if key else None
    if found is None:
        failures: AuthFailures = connection.app.state.auth_failures
        wait = failures.failed(_client(connection), key)
        if wait is not None:
            raise TooManyRequests(
                "Too many failed authentications from this client or with this key; "
                "try again later.",
                retry_after=wait,
            )
        if not key:
            raise Unauthenticated(f"Send an API key in the {API_KEY_HEADER} header.")
        raise Unauthenticated("The API key is unknown or revoked.")
    name, scope = found
    if not scope_allows(scope, required):
        raise Forbidden(f"This operation needs an API key with scope '{required}'.")
    connection.state.api_key_name = name


async def _verified(
    connection: ASGIConnection[Any, Any, Any, Any], key: str
) -> tuple[str, str] | None:
    """(name, scope) of the active key ``key``, from the cache or the database."""
    key_hash = hash_key(key)
    cache: KeyCache = connection.app.state.api_key_cache
    found = cache.get(key_hash)
    if found is None:
        generation = cache.generation
        found = await active_key(connection.app.state.engine, key_hash)
        if found is not None:
            cache.put(key_hash, *found, generation=generation)
    return found
