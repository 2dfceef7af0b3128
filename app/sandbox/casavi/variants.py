"""Simulator variants: a casavi that deviates from openapi/casavi.yaml the way a real one may.

The contract's ticket side is inferred, so the first real connection may find other names.
A variant makes the simulator serve such a casavi, to prove that the live contract check
(``portal-gateway casavi check``) names each deviation and that a rename is one change on
the gateway's side (``CasaviRoutes``):

- ``messagesSegment``: ticket messages served under another path segment (casavi's own model
  calls them ``ticketcomment``: ``/v2/tickets/{id}/comments``); the contract's ``messages``
  path then answers 404;
- ``ticketCreate: false``: ``POST /v2/tickets`` answers 405 (a unified-API vendor's casavi
  connector offers no ticket create, casavi-api.md §8);
- ``renamedFields``: contract name -> served name, in every JSON answer and request body
  (e.g. ``{"subject": "title"}``).

Set at start (``create_casavi_simulator(variant=...)``, ``sandbox casavi --variant``) or at
runtime with ``PUT /_sandbox/variant``.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from app.sandbox.casavi.middleware import send_error
from app.sandbox.casavi.state import Simulator, Variant

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Any


def parse_variant(text: str) -> Variant:
    """``comments``, ``no-ticket-create``, ``rename:subject=title`` (comma-separated)."""
    variant = Variant()
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part == "no-ticket-create":
            variant.ticket_create = False
        elif part.startswith("rename:") and "=" in part:
            old, new = part[len("rename:") :].split("=", 1)
            variant.renamed_fields[old] = new
        elif part.isidentifier():
            variant.messages_segment = part
        else:
            raise ValueError(f"unknown variant {part!r}")
    return variant


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {names.get(k, k): _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


def _rewrite_json(body: bytes, names: dict[str, str]) -> bytes:
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return msgspec.json.encode(_rename(value, names))


class VariantLayer:
    """Between the fault layer and the contract's handlers."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        variant = self.sim.variant
        if scope["type"] != "http" or variant == Variant():
            await self.app(scope, receive, send)
            return
        path = str(scope["path"])
        parts = path.split("/")
        if path.startswith("/v2/tickets/") and len(parts) >= 5:
            segment = parts[4]
            if variant.messages_segment != "messages":
                if segment == "messages":
                    await send_error(send, 404, "not found")
                    return
                if segment == variant.messages_segment:
                    parts[4] = "messages"
                    moved = "/".join(parts)
                    scope = {**scope, "path": moved, "raw_path": moved.encode("latin-1")}
        if not variant.ticket_create and scope["method"] == "POST" and path == "/v2/tickets":
            await send_error(send, 405, "method not allowed")
            return
        names = variant.renamed_fields
        if not names or not path.startswith(("/v2/", "/authenticate")):
            await self.app(scope, receive, send)
            return
        back = {new: old for old, new in names.items()}
        await self.app(scope, _renamed_body(receive, back), _renamed_answer(send, names))


def _renamed_body(receive: Any, back: dict[str, str]) -> Any:
    """Request bodies arrive with the served names: give the handlers the contract's."""
    buffered: list[Message] = []

    async def read() -> Message:
        if not buffered:
            body = b""
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return dict(message)
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            buffered.append({"type": "http.request", "body": _rewrite_json(body, back)})
            return buffered[0]
        return dict(await receive())

    return read


def _renamed_answer(send: Any, names: dict[str, str]) -> Any:
    state: dict[str, Any] = {"start": None, "body": b"", "json": False}

    async def write(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            state["json"] = headers.get(b"content-type", b"").startswith(b"application/json")
            if not state["json"]:
                await send(message)
                return
            state["start"] = message
            return
        if message["type"] != "http.response.body" or not state["json"]:
            await send(message)
            return
        state["body"] += message.get("body", b"")
        if message.get("more_body"):
            return
        body = _rewrite_json(state["body"], names)
        start = dict(state["start"])
        start["headers"] = [
            (k, str(len(body)).encode() if k == b"content-length" else v)
            for k, v in start.get("headers", [])
        ]
        await send(start)
        await send({"type": "http.response.body", "body": body})

    return write
