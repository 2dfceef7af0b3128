"""casavi tokens: ``POST /v2/authenticate`` with key and secret -> ``{token, expiresAt}``.

casavi has no refresh mechanism (documented); a token lives about a month. We authenticate
again shortly before ``expiresAt`` and when casavi answers 401. Only one re-authentication
runs at a time: callers remember the generation of the token they used, and a caller whose
token was already replaced by another caller's refresh just takes the new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from app.adapters.casavi.wire import AuthResponse

Authenticate = Callable[[], Awaitable[AuthResponse]]


class TokenManager:
    def __init__(self, authenticate: Authenticate, refresh_margin_seconds: float) -> None:
        self._authenticate = authenticate
        self._margin = timedelta(seconds=refresh_margin_seconds)
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at: datetime | None = None
        self._generation = 0
        self.authentications = 0

    def __repr__(self) -> str:
        return f"TokenManager(generation={self._generation}, token=***)"

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def secrets(self) -> tuple[str, ...]:
        """The current token, for redaction of error bodies."""
        return (self._token,) if self._token else ()

    def _fresh(self) -> bool:
        if self._token is None or self._expires_at is None:
            return False
        return datetime.now(UTC) < self._expires_at - self._margin

    async def current(self) -> tuple[str, int]:
        """A usable token and its generation, authenticating first if needed."""
        if self._fresh():
            assert self._token is not None
            return self._token, self._generation
        return await self.refresh(self._generation)

    async def refresh(self, stale_generation: int) -> tuple[str, int]:
        """Replace the token of ``stale_generation``; a no-op if someone already did."""
        async with self._lock:
            if self._generation != stale_generation and self._token is not None:
                # Another caller replaced the token while we waited: use theirs, even if
                # casavi issued it with less lifetime than our margin (no refresh storm).
                return self._token, self._generation
            answer = await self._authenticate()
            self.authentications += 1
            self._token = answer.token
            self._expires_at = answer.expires_at
            self._generation += 1
            return self._token, self._generation

    def forget(self) -> None:
        self._token = None
        self._expires_at = None
