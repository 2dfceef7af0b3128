"""An example system on the HTTP engine, served by ``httpx.MockTransport``: what the engine
does is tested here once, without casavi's or DocuWare's wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.adapters.http.engine import Call, HttpEngine
from app.adapters.http.errors import (
    AuthFailed,
    DeadlineExceeded,
    ErrorFamily,
    HttpError,
    NotFound,
    OutcomeUnknown,
    ProtocolError,
    Rejected,
    Unavailable,
)
from app.adapters.http.retry import RetryPolicy
from app.adapters.http.settings import HttpClientConfig
from app.adapters.http.tokens import Token
from tests.support.clock import FakeClock

CREDENTIAL = "credential-never-shown"
TOKEN_LIFETIME = 100.0


class ExampleError(HttpError):
    """Every kind but ``Conflict`` (to show the fallback to the nearest ancestor)."""

    system = "Example"


class ExampleUnavailable(ExampleError, Unavailable): ...


class ExampleDeadlineExceeded(ExampleUnavailable, DeadlineExceeded): ...


class ExampleOutcomeUnknown(ExampleUnavailable, OutcomeUnknown): ...


class ExampleAuthFailed(ExampleError, AuthFailed): ...


class ExampleRejected(ExampleError, Rejected): ...


class ExampleNotFound(ExampleRejected, NotFound): ...


class ExampleProtocolError(ExampleError, ProtocolError): ...


class ExampleHttp(HttpEngine[HttpClientConfig]):
    """Tokens from ``POST /token`` (``{"token": ...}``), sent as ``X-Token``."""

    system = "Example"
    errors = ErrorFamily(ExampleError)

    async def obtain_token(self) -> Token:
        call = Call("POST", "/token", form={"secret": CREDENTIAL}, authenticated=False, logon=True)
        response = await self.call(call)
        return Token(str(response.json()["token"]), TOKEN_LIFETIME)

    def token_header(self, token: str) -> tuple[str, str]:
        return "X-Token", token

    def credentials(self) -> tuple[str, ...]:
        return (CREDENTIAL,)


Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@dataclass
class Server:
    """Issues tokens t1, t2, ... and answers other requests with ``respond``; ``valid`` are
    the tokens it accepts (401 for the others)."""

    respond: Handler | None = None
    # When set, a request with a stale token waits here before its 401 (all arrive first).
    stale: asyncio.Barrier | None = None
    issued: int = 0
    valid: set[str] = field(default_factory=set)
    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            self.issued += 1
            token = f"t{self.issued}"
            self.valid.add(token)
            return httpx.Response(200, json={"token": token})
        if request.headers.get("X-Token") not in self.valid:
            if self.stale is not None:
                await self.stale.wait()
            return httpx.Response(401, text="token invalid")
        if self.respond is None:
            return httpx.Response(200, json={"ok": True})
        return await self.respond(request)

    def calls_to(self, path: str) -> int:
        return sum(1 for r in self.requests if r.url.path == path)


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


EngineFactory = Callable[..., ExampleHttp]


@pytest.fixture
async def make_engine(server: Server, clock: FakeClock) -> AsyncIterator[EngineFactory]:
    made: list[ExampleHttp] = []

    def make(**overrides: object) -> ExampleHttp:
        settings: dict[str, Any] = {
            "base_url": "https://example.test",
            "retry": RetryPolicy(max_attempts=4, backoff_base=0.5, backoff_cap=2.0),
            "deadline_seconds": 600.0,
            **overrides,
        }
        config = HttpClientConfig(**settings)
        engine = ExampleHttp(config, httpx.MockTransport(server), clock)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        await engine.aclose()
