"""Tokens: obtained once, reused while fresh, renewed under one lock.

A client obtains a token on its first call and keeps it until it is no longer fresh (each
system says how long that is: casavi from ``expiresAt`` minus a margin, DocuWare from
``expires_in``) or the server answers 401. Only one renewal runs at a time: callers remember
the generation of the token they used, and a caller whose token was already replaced while it
waited takes the new one (N concurrent 401s -> exactly one renewal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.adapters.http.clock import SYSTEM_CLOCK, Clock


@dataclass(frozen=True, slots=True)
class Token:
    value: str = field(repr=False)
    # Seconds from now during which the token is used as it is (may be <= 0: renew each time).
    fresh_for: float


Obtain = Callable[[], Awaitable[Token]]


class TokenManager:
    def __init__(self, obtain: Obtain, clock: Clock = SYSTEM_CLOCK) -> None:
        self._obtain = obtain
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0  # on the clock; after it the token is renewed before use
        self._generation = 0
        self.obtained = 0  # how many tokens this client obtained (metrics and tests)

    def __repr__(self) -> str:
        return f"TokenManager(generation={self._generation}, token=***)"

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def secrets(self) -> tuple[str, ...]:
        """The current token, for redaction of error bodies."""
        return (self._token,) if self._token else ()

    async def current(self) -> tuple[str, int]:
        """A usable token and its generation, obtaining one first if needed."""
        if self._token is not None and self._clock.now() < self._renew_at:
            return self._token, self._generation
        return await self.refresh(self._generation)

    async def refresh(self, stale_generation: int) -> tuple[str, int]:
        """Replace the token of ``stale_generation``; a no-op if someone already did."""
        async with self._lock:
            if self._generation != stale_generation and self._token is not None:
                # Another caller replaced the token while we waited: use theirs, even if it
                # came with less lifetime than the margin (no renewal storm).
                return self._token, self._generation
            token = await self._obtain()
            self.obtained += 1
            self._token = token.value
            self._renew_at = self._clock.now() + token.fresh_for
            self._generation += 1
            return self._token, self._generation
