"""What every console page shares: the per-process console state, the session guard (with the
CSRF check of every POST), security headers, and ``page()`` to render a template."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template

from app.adapters.store.api_keys import ApiKeyRepository
from app.api.auth_failures import AuthFailures
from app.configuration.checks import CheckReport
from app.configuration.document import SYSTEMS
from app.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, local_time, translator
from app.console.sessions import (
    FAILED_SIGNIN_WINDOW,
    MAX_FAILED_SIGNINS,
    ConsoleSession,
    SessionStore,
    SignInLinks,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/console"
COOKIE = "pgw_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# The navigation: one entry per page (i18n key, path).
NAV: tuple[tuple[str, str], ...] = (
    ("nav.overview", PREFIX),
    ("nav.settings_production", f"{PREFIX}/systems/production/settings"),
    ("nav.settings_test", f"{PREFIX}/systems/test/settings"),
    ("nav.protocol", f"{PREFIX}/protocol"),
    ("nav.tickets", f"{PREFIX}/tickets"),
    ("nav.conflicts", f"{PREFIX}/conflicts"),
    ("nav.inbound_events", f"{PREFIX}/inbound-events"),
    ("nav.keys", f"{PREFIX}/keys"),
)

# Nothing is loaded from elsewhere, nothing is inline, no page may be framed or cached.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class CheckResultAt:
    at: dt.datetime
    report: CheckReport


@dataclass
class Console:
    """The console's state in one API process (see ``sessions.py`` for why in memory)."""

    sessions: SessionStore
    links: SignInLinks = field(default_factory=SignInLinks)
    # Failed sign-ins per client address and per presented key prefix (issue 23 item 2).
    limiter: AuthFailures = field(
        default_factory=lambda: AuthFailures(
            MAX_FAILED_SIGNINS, period_seconds=FAILED_SIGNIN_WINDOW.total_seconds()
        )
    )
    secure_cookie_always: bool = False
    # Who runs the C14 schedule and the jobs, as far as this process knows (overview page).
    scheduler_here: bool = False
    jobs_here: bool = True
    # The last connection check per system, since this process started.
    checks: dict[str, CheckResultAt] = field(default_factory=dict)

    def cookie(self, request: Request[Any, Any, Any], session: ConsoleSession) -> Cookie:
        """HTTP-only, SameSite=Strict, only for the console's paths; Secure over https."""
        return Cookie(
            key=COOKIE,
            value=session.id,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie_always or request.url.scheme == "https",
        )


def console_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Console:
    console: Console = connection.app.state.console
    return console


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(NAV=NAV, SYSTEMS=SYSTEMS, LANGUAGES=LANGUAGES, PREFIX=PREFIX)
    return env


class SignInRequired(Exception):
    """No live session (or its key was revoked): the page answers with the sign-in page."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


class CsrfRejected(Exception):
    pass


async def require_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A signed-in session whose admin key is still active; every POST carries its CSRF
    token (form field ``csrf_token`` or header ``X-CSRF-Token``)."""
    console = console_of(connection)
    session_id = connection.cookies.get(COOKIE)
    expired = console.sessions.expired(session_id)
    session = console.sessions.get(session_id)
    if session is None or session.key_name is None:
        raise SignInRequired(expired=expired)
    async with connection.app.state.session_factory() as db:
        key = await ApiKeyRepository(db).active_by_name(session.key_name)
    if key is None or key.scope != "admin":
        console.sessions.end_sessions_of(session.key_name)
        raise SignInRequired()
    if isinstance(connection, Request) and connection.method == "POST":
        await check_csrf(connection, session)
    connection.state.console_session = session


async def check_csrf(request: Request[Any, Any, Any], session: ConsoleSession) -> None:
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await request.form()
        token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not hmac.compare_digest(
        token.encode(), session.csrf_token.encode()
    ):
        raise CsrfRejected()


def current_session(request: Request[Any, Any, Any]) -> ConsoleSession:
    session: ConsoleSession = request.state.console_session
    return session


def language_of(session: ConsoleSession | None) -> str:
    return session.language if session is not None else DEFAULT_LANGUAGE


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    session: ConsoleSession | None = None,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    session = session or request.state.get("console_session")
    language = language_of(session)
    return Template(
        template_name=template,
        context={
            "t": translator(language),
            "when": local_time(language),
            "lang": language,
            "csrf_token": session.csrf_token if session else "",
            "signed_in": session.key_name if session else None,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        cookies=cookies or [],
        headers=SECURITY_HEADERS,
    )


def see_other(path: str) -> Redirect:
    """POST, then redirect, then GET (a reload never repeats the POST)."""
    return Redirect(path, status_code=303, headers=SECURITY_HEADERS)


def sign_in_required(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    console = console_of(request)
    session = console.sessions.create()
    cookie = console.cookie(request, session)
    if request.headers.get("HX-Request"):
        # An htmx poll cannot show a page: the browser loads the sign-in page instead.
        return Response(
            content="",
            status_code=401,
            headers={**SECURITY_HEADERS, "HX-Redirect": PREFIX + "/signin"},
            cookies=[cookie],
        )
    message = "signin.expired" if exc.expired else "signin.required"
    return page(
        request, "signin.html", session=session, status_code=401, cookies=[cookie], message=message
    )


def csrf_rejected(request: Request[Any, Any, Any], _: CsrfRejected) -> Response[Any]:
    return page(request, "error.html", status_code=403, message="csrf.invalid", detail=None)
