"""ASGI layer in front of the simulator's Litestar app: faults, the ``token`` check, counters.

It works at the ASGI level because some faults cannot be expressed as a response: a
"created but response lost" request is handled completely (the record is stored), then
the status line goes out and the connection is aborted, so the client sees a transport
error without a body.
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any
from urllib.parse import unquote

import msgspec

from app.sandbox.casavi.state import Simulator

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any
ASGIApp = Any

CONTRACT_PREFIX = "/v2/"
# v2, and the documented v1 path (casavi-api.md §1.2).
AUTH_PATHS = frozenset({"/v2/authenticate", "/authenticate"})
_ENCODED_SLASH = re.compile("%2[fF]")


class ResponseLost(ConnectionAbortedError):
    """Raised on purpose after the status line: the client never gets the body."""


def _path_keeping_encoded_slashes(scope: Scope) -> str:
    # Reference ids may contain "/" (sent as %2F); routing must not split on them.
    raw = scope.get("raw_path")
    if not raw:
        return str(scope["path"])
    text = raw.decode("latin-1").split("?", 1)[0]
    return "%2F".join(unquote(part) for part in _ENCODED_SLASH.split(text))


async def send_error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = msgspec.json.encode({"status": status, "message": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FaultInjector:
    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["path"] = path = _path_keeping_encoded_slashes(scope)
        if not path.startswith(CONTRACT_PREFIX) and path not in AUTH_PATHS:
            await self.app(scope, receive, send)
            return
        stats = self.sim.stats
        stats.requests += 1
        stats.by_route[f"{scope['method']} {path}"] += 1

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                stats.by_status[f"{scope['method']} {message['status']}"] += 1
            await send(message)

        await self._contract(scope, receive, counted, path)

    async def _latency(self) -> None:
        # Requests are counted while they wait here: with latency set, ``maxInFlight`` is
        # the client's real concurrency, free of races at the end of a response.
        stats = self.sim.stats
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            await asyncio.sleep(self.sim.faults.latency_ms / 1000)
        finally:
            stats.in_flight -= 1

    async def _contract(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        sim, faults = self.sim, self.sim.faults
        if faults.latency_ms:
            await self._latency()
        retry_after = [(b"retry-after", str(faults.retry_after_seconds).encode())]
        if faults.rate_limit_per_second is not None:
            wait = sim.rate_window.admit(faults.rate_limit_per_second)
            if wait is not None:
                seconds = str(max(1, math.ceil(wait))).encode()
                await send_error(send, 429, "rate limit exceeded", [(b"retry-after", seconds)])
                return
        if sim.take("throttle_next"):
            await send_error(send, 429, "too many requests", retry_after)
            return
        route = f"{scope['method']} {path}"
        if sim.take("fail_next") or any(route.startswith(r) for r in faults.fail_routes):
            await send_error(send, faults.fail_status, "simulated server failure")
            return
        if path not in AUTH_PATHS:
            token = dict(scope["headers"]).get(b"token", b"").decode("latin-1")
            if not token or not sim.store.token_valid(token):
                await send_error(send, 401, "missing, invalid or expired token")
                return
        if scope["method"] == "POST" and path not in AUTH_PATHS and sim.take("lose_responses"):
            await self._lose_response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _lose_response(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)  # the write happens and is committed
        start = next(m for m in held if m["type"] == "http.response.start")
        await send(start)
        raise ResponseLost("simulated: response lost after the record was stored")
