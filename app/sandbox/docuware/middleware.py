"""ASGI layer in front of the DocuWare simulator: faults, the bearer check, counters.

It works at the ASGI level because some faults cannot be expressed as a response: a dropped
connection (no status line at all) and a download cut off in the middle of its body.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from app.sandbox.docuware.state import DocuwareSim

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Any
Send = Any
ASGIApp = Any

CONTRACT_PREFIX = "/DocuWare/"
IDENTITY_PREFIX = "/DocuWare/Identity/"
OPEN_PATHS = frozenset({"/DocuWare/Platform/Home/IdentityServiceInfo"})


class ConnectionDropped(ConnectionAbortedError):
    """Raised on purpose: uvicorn closes the connection without (the rest of) a response."""


def bearer_of(scope: Scope) -> str:
    value = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def send_error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """DocuWare's error body: JSON with a ``Message`` (SNINER/LARAVEL read only that key)."""
    body = msgspec.json.encode({"Message": message})
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
    def __init__(self, app: ASGIApp, sim: DocuwareSim) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(CONTRACT_PREFIX):
            await self.app(scope, receive, send)
            return
        stats = self.sim.stats
        stats.requests += 1
        stats.by_route[f"{scope['method']} {path}"] += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            await self._contract(scope, receive, send, path)
        finally:
            stats.in_flight -= 1

    async def _contract(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        sim, faults = self.sim, self.sim.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if sim.take("drop_next"):
            # Before a status line uvicorn would answer 500 itself: promise a body, then break.
            head = [(b"content-type", b"application/json"), (b"content-length", b"64")]
            await send({"type": "http.response.start", "status": 200, "headers": head})
            raise ConnectionDropped("simulated: connection dropped before the body")
        if sim.take("stall_next"):
            await asyncio.sleep(faults.stall_ms / 1000)
        if sim.take("throttle_next"):
            await asyncio.sleep(faults.throttle_delay_ms / 1000)
            retry_after = [(b"retry-after", str(faults.retry_after_seconds).encode())]
            await send_error(send, 429, "Too many requests.", retry_after)
            return
        if sim.take("fail_next"):
            await send_error(send, faults.fail_status, "Simulated server failure.")
            return
        if faults.expire_tokens:
            faults.expire_tokens = False
            sim.expire_all_tokens()
        needs_token = not path.startswith(IDENTITY_PREFIX) and path not in OPEN_PATHS
        if needs_token and sim.session_for(bearer_of(scope)) is None:
            await send_error(send, 401, "Unauthorized: missing, invalid or expired token.")
            return
        if path.endswith("/FileDownload") and sim.take("cut_downloads"):
            await self.app(scope, receive, _cutting(send, faults.cut_after_bytes))
            return
        await self.app(scope, receive, send)


def _cutting(send: Send, limit: int) -> Send:
    """A ``send`` that passes ``limit`` body bytes on, then breaks the connection."""
    sent = 0

    async def cut(message: Message) -> None:
        nonlocal sent
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if sent + len(body) >= limit:
                await send({**message, "body": body[: limit - sent], "more_body": True})
                raise ConnectionDropped("simulated: download cut off mid-body")
            sent += len(body)
        await send(message)

    return cut
