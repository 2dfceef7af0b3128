"""What every system's client object shares: one engine, closed with the client."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from app.adapters.http.clock import SYSTEM_CLOCK, Clock
from app.adapters.http.engine import HttpEngine
from app.adapters.http.settings import HttpClientConfig

C = TypeVar("C", bound=HttpClientConfig)
H = TypeVar("H", bound=HttpEngine[Any])


class HttpClient(Generic[C, H]):
    """A system's client: ``http`` is its engine, built from ``engine`` and the config
    (``transport`` and ``clock`` are for tests)."""

    engine: type[H]  # the system's engine class, stated by the subclass

    def __init__(
        self,
        config: C,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self.http = self.engine(config, transport, clock)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
