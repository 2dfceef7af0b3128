"""DocuWare tokens: one logon, reused until it runs out.

Every logon books a DocuWare licence (KBA-36918) and Cloud throttles logons (KBA-36385), so a
client logs on once and keeps the token for its lifetime (60 minutes, ``expires_in``). It is
renewed shortly before its end and when DocuWare answers 401. Only one renewal runs at a time:
callers remember the generation of the token they used, and a caller whose token was already
replaced while it waited takes the new one (N concurrent 401s -> exactly one logon).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from app.adapters.docuware.wire import TokenResponse

Logon = Callable[[], Awaitable[TokenResponse]]


class TokenManager:
    def __init__(self, logon: Logon, refresh_margin_seconds: float) -> None:
        self._logon = logon
        self._margin = refresh_margin_seconds
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0  # time.monotonic() after which we renew
        self._generation = 0
        self.logons = 0

    def __repr__(self) -> str:
        return f"TokenManager(generation={self._generation}, token=***)"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The current token, for redaction of error bodies."""
        return (self._token,) if self._token else ()

    def _fresh(self) -> bool:
        return self._token is not None and time.monotonic() < self._expires_at

    async def current(self) -> tuple[str, int]:
        """A usable token and its generation, logging on first if needed."""
        if self._fresh():
            assert self._token is not None
            return self._token, self._generation
        return await self.refresh(self._generation)

    async def refresh(self, stale_generation: int) -> tuple[str, int]:
        """Replace the token of ``stale_generation``; a no-op if someone already did."""
        async with self._lock:
            if self._generation != stale_generation and self._token is not None:
                return self._token, self._generation
            answer = await self._logon()
            self.logons += 1
            self._token = answer.access_token
            # Renew ``margin`` early, but never so early that a short-lived token is stale
            # at once (that would log on for every call).
            early = min(self._margin, answer.expires_in / 2)
            self._expires_at = time.monotonic() + answer.expires_in - early
            self._generation += 1
            return self._token, self._generation
