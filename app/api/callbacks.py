"""casavi callbacks: ``POST /api/v1/systems/{system}/callbacks/casavi`` (HMAC, no API key).

Verify the signature over the raw body with the system's callback secret (401 problem when
it is missing, malformed, stale, from the future or wrong; nothing is stored), read the
envelope (400 problem when it is not one), store the event once by its id (a duplicate is
202 too), answer 202 at once and enqueue the ticket's job after the commit. An enqueue that
fails (Redis down) still answers 202: the inbox holds the event and the sweeper queues it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath

from app.adapters.casavi.callbacks import (
    SIGNATURE_HEADER,
    InvalidSignature,
    MalformedEvent,
    parse_event,
    verify,
)
from app.api.deps import ServicesDep
from app.api.problems import problem_responses
from app.api.schemas import System
from app.errors import MalformedRequest, NotFound, SyncNotPossible, Unauthenticated
from app.sync.inbound.process import enqueue_ticket
from app.sync.ports import Configs
from app.sync.ports.events import inbox_entry

log = logging.getLogger(__name__)


class CallbackAccepted(msgspec.Struct, kw_only=True, rename="camel"):
    event_id: str
    duplicate: bool


@dataclass(frozen=True)
class _Receiving:
    version: int
    active: bool
    enabled: bool
    secret: str | None


class CallbackSecrets:
    """Per system: the callback secret and switches, re-read when the configuration's
    version changes. The version is looked up at most once a second, so a changed secret
    or switch applies to callbacks within a second (and a callback costs no extra query)."""

    def __init__(self, configs: Configs, *, check_seconds: float = 1.0) -> None:
        self._configs = configs
        self._cache: dict[str, _Receiving] = {}
        self._checked: dict[str, float] = {}
        self._check_seconds = check_seconds
        self._lock = asyncio.Lock()

    async def get(self, system: str) -> _Receiving:
        cached = self._cache.get(system)
        now = time.monotonic()
        if cached is not None and now - self._checked.get(system, 0.0) < self._check_seconds:
            return cached
        version = await self._configs.version(system)
        self._checked[system] = now
        if cached is not None and cached.version == version:
            return cached
        async with self._lock:
            settings = await self._configs.settings(system)
            fresh = _Receiving(
                version=settings.version,
                active=settings.active,
                enabled=settings.inbound.callbacks_enabled,
                secret=settings.secrets.callback_secret,
            )
            self._cache[system] = fresh
            return fresh


@post(
    "/systems/{system:str}/callbacks/casavi",
    status_code=202,
    summary="casavi callback (webhook casaviEvent): stored once, processed by a job",
    description=(
        f"Signed with `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 over "
        "'<t>.<raw body>'>` and the system's callback secret (`callbackSecret`). No API key."
    ),
    tags=["callbacks"],
    security=[{}],
    responses=problem_responses(400, 401, 404, 409),
)
async def casavi_callback(
    request: Request[Any, Any, Any], services: ServicesDep, system: FromPath[System]
) -> Response[CallbackAccepted]:
    body = await request.body()
    secrets: CallbackSecrets = request.app.state.callback_secrets
    receiving = await secrets.get(system)
    if not receiving.enabled:
        raise NotFound("Callbacks are switched off for this system (inbound.callbacksEnabled).")
    if not receiving.secret:
        raise Unauthenticated("No callback secret is set for this system (callbackSecret).")
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, [receiving.secret])
    except InvalidSignature as exc:
        raise Unauthenticated(f"Invalid callback signature: {exc}.") from None
    try:
        event = parse_event(body)
    except MalformedEvent as exc:
        raise MalformedRequest(f"Not a casavi callback envelope: {exc}") from None
    if not receiving.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")
    stored = await services.inbox.add(system, [inbox_entry(event)])
    body_out = CallbackAccepted(event_id=event.id, duplicate=not stored)
    if not stored:
        return Response(body_out, status_code=202)
    # The event is committed; the job is queued once the answer is on its way (a failed
    # enqueue is logged and left to the sweeper).
    job = BackgroundTask(enqueue_ticket, services.queue, system, event.ticket_id, "callback")
    return Response(body_out, status_code=202, background=job)
