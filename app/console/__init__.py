"""The admin console: server-rendered pages under ``/console`` for the gateway's operators.

German by default, English selectable; every asset is served by the gateway (no CDN, no
build step); htmx only where a page updates itself (a pending run). ``build_console`` gives
the composition root (``app.asgi``) the router, the per-process state and the templates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXRequest
from litestar.static_files import create_static_files_router
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.store.console_sessions import DatabaseStore
from app.console.routes_actions import ActionsController
from app.console.routes_admin import KeysController
from app.console.routes_auth import SignInController, SignOutController
from app.console.routes_casavi import CasaviCheckController
from app.console.routes_inbound import InboundController
from app.console.routes_pages import PagesController
from app.console.routes_settings import SettingsController
from app.console.routes_tickets import TicketsController
from app.console.sessions import SessionStore, SignInForms, SignInLinks, form_key
from app.console.web import (
    PREFIX,
    STATIC,
    Console,
    CsrfRejected,
    SignInRequired,
    csrf_rejected,
    page,
    sign_in_required,
)
from app.environment import Settings
from app.errors import GatewayError


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, GatewayError):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    else:
        raise exc
    return page(request, "error.html", status_code=status, message=None, detail=detail)


def session_store(settings: Settings, engine: AsyncEngine) -> Store:
    """Where console sessions live: Redis when configured (namespaced per installation, like
    the job queue), else the gateway's own database. Either way every API process shares it."""
    if settings.redis_url is not None:
        return RedisStore(
            Redis.from_url(settings.redis_url),
            namespace=f"{settings.arq_queue_name}:console",
            handle_client_shutdown=True,
        )
    return DatabaseStore(engine)


async def issue_sign_in_link(settings: Settings, engine: AsyncEngine, key_name: str) -> str:
    """A one-time console sign-in link's token for ``key_name`` (``portal-gateway demo``)."""
    store = session_store(settings, engine)
    try:
        return await SignInLinks(store).issue(key_name)
    finally:
        await store.__aexit__(None, None, None)


def build_console(
    settings: Settings, engine: AsyncEngine, *, scheduler_here: bool
) -> tuple[list[Router], Console]:
    store = session_store(settings, engine)
    console = Console(
        store=store,
        sessions=SessionStore(store, dt.timedelta(minutes=settings.console_idle_minutes)),
        forms=SignInForms(form_key(settings.secret_key)),
        links=SignInLinks(store),
        secure_cookie_always=settings.console_secure_cookie == "always",
        scheduler_here=scheduler_here,
        jobs_here=settings.redis_url is None,
    )
    router = Router(
        PREFIX,
        route_handlers=[
            SignInController,
            SignOutController,
            PagesController,
            SettingsController,
            KeysController,
            InboundController,
            CasaviCheckController,
            ActionsController,
            TicketsController,
        ],
        request_class=HTMXRequest,
        include_in_schema=False,
        exception_handlers={
            SignInRequired: sign_in_required,
            CsrfRejected: csrf_rejected,
            GatewayError: _error_page,
            HTTPException: _error_page,
        },
    )
    static = create_static_files_router(
        path=PREFIX + "/static",
        directories=[STATIC],
        include_in_schema=False,
        after_request=_static_headers,
    )
    return [router, static], console


async def _static_headers(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response
