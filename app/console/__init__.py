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
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from app.config import Settings
from app.console.routes_admin import KeysController, SettingsController
from app.console.routes_auth import SignInController, SignOutController
from app.console.routes_casavi import CasaviCheckController
from app.console.routes_inbound import InboundController
from app.console.routes_pages import PagesController
from app.console.sessions import SessionStore
from app.console.web import (
    PREFIX,
    STATIC,
    Console,
    CsrfRejected,
    SignInRequired,
    csrf_rejected,
    environment,
    page,
    sign_in_required,
)
from app.errors import GatewayError


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, GatewayError):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    else:
        raise exc
    return page(request, "error.html", status_code=status, message=None, detail=detail)


def build_console(
    settings: Settings, *, scheduler_here: bool
) -> tuple[list[Router], Console, TemplateConfig[JinjaTemplateEngine]]:
    console = Console(
        sessions=SessionStore(dt.timedelta(minutes=settings.console_idle_minutes)),
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
    templates = TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))
    return [router, static], console, templates


async def _static_headers(response: Response[Any]) -> Response[Any]:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response
