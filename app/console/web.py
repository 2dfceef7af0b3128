"""What every console page shares: the per-process console state, the session guard (with the
CSRF check of every POST), security headers, and ``page()`` to render a template."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect
from litestar.stores.base import Store

from app.adapters.store.api_keys import ApiKeyRepository
from app.api.auth_failures import AuthFailures
from app.configuration.checks import CheckReport
from app.configuration.document import SYSTEMS
from app.console.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, texts
from app.console.labels import N_
from app.console.messages import reason_text, translate
from app.console.sessions import (
    FAILED_SIGNIN_WINDOW,
    MAX_FAILED_SIGNINS,
    ConsoleSession,
    SessionStore,
    SignInForms,
    SignInLinks,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/console"
COOKIE = "pgw_console"
# The sign-in form's double-submit token and the chosen language: cookies, not sessions.
FORM_COOKIE = "pgw_console_form"
LANGUAGE_COOKIE = "pgw_console_lang"
LANGUAGE_MAX_AGE = 365 * 24 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# The navigation: one entry per page (its name, path).
NAV: tuple[tuple[str, str], ...] = (
    (N_("Overview"), PREFIX),
    (N_("Settings production"), f"{PREFIX}/systems/production/settings"),
    (N_("Settings test"), f"{PREFIX}/systems/test/settings"),
    (N_("Protocol"), f"{PREFIX}/protocol"),
    (N_("Tickets"), f"{PREFIX}/tickets"),
    (N_("Conflicts"), f"{PREFIX}/conflicts"),
    (N_("Parked inbound events"), f"{PREFIX}/inbound-events"),
    (N_("API keys"), f"{PREFIX}/keys"),
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
    """The console's state: sessions and sign-in links in the shared store (see
    ``sessions.py``), the sign-in limit and the last connection checks of this process."""

    store: Store
    sessions: SessionStore
    forms: SignInForms
    links: SignInLinks
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

    def _cookie(
        self, request: Request[Any, Any, Any], key: str, value: str, **extra: Any
    ) -> Cookie:
        """HTTP-only, SameSite=Strict, only for the console's paths; Secure over https."""
        return Cookie(
            key=key,
            value=value,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie_always or request.url.scheme == "https",
            **extra,
        )

    def cookie(self, request: Request[Any, Any, Any], session: ConsoleSession) -> Cookie:
        return self._cookie(request, COOKIE, session.id)

    def form_cookie(self, request: Request[Any, Any, Any], token: str) -> Cookie:
        return self._cookie(request, FORM_COOKIE, token)

    def language_cookie(self, request: Request[Any, Any, Any], language: str) -> Cookie:
        return self._cookie(request, LANGUAGE_COOKIE, language, max_age=LANGUAGE_MAX_AGE)

    async def close(self) -> None:
        await self.store.__aexit__(None, None, None)


def console_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Console:
    console: Console = connection.app.state.console
    return console


@cache
def environment(language: str) -> Environment:
    """One Jinja environment per language, its gettext installed (newstyle: ``_("Run
    %(id)s", id=...)`` formats and escapes)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(catalogue(language), newstyle=True)  # type: ignore[attr-defined]
    words = texts(language)
    env.globals.update(
        NAV=NAV,
        SYSTEMS=SYSTEMS,
        LANGUAGES=LANGUAGES,
        PREFIX=PREFIX,
        lang=language,
        label=words.label,
        msg=words.msg,
        when=words.when,
        day=words.day,
        num=words.num,
        server=partial(translate, words),
        reason=partial(reason_text, words),
    )
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
    session, expired = await console.sessions.find(session_id)
    if session is None:
        raise SignInRequired(expired=expired)
    async with connection.app.state.session_factory() as db:
        key = await ApiKeyRepository(db).active_by_name(session.key_name)
    if key is None or key.scope != "admin":
        await console.sessions.delete(session.id)
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


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    chosen = connection.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    session: ConsoleSession | None = None,
    form_token: str | None = None,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    """A console page. Signed in, its forms carry the session's CSRF token; on the sign-in
    page (``form_token``) they carry the double-submit token instead."""
    session = session or request.state.get("console_session")
    language = language_of(request)
    if session is not None:
        token = session.csrf_token
    else:
        token = form_token or current_form_token(request) or ""
    html = (
        environment(language)
        .get_template(template)
        .render(
            csrf_token=token,
            signed_in=session.key_name if session else None,
            path=request.url.path,
            **context,
        )
    )
    return Response(
        html,
        media_type=MediaType.HTML,
        status_code=status_code,
        cookies=cookies or [],
        headers=SECURITY_HEADERS,
    )


def current_form_token(request: Request[Any, Any, Any]) -> str | None:
    """The request's sign-in form token when it is still good (kept across page loads, so
    two open sign-in tabs both work)."""
    token = request.cookies.get(FORM_COOKIE)
    return token if console_of(request).forms.valid(token) else None


def anonymous_page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    clear_session: bool = False,
    **context: Any,
) -> Response[str]:
    """A page for a browser that is not signed in: no session is created, only the form
    token's cookie is (re)set."""
    console = console_of(request)
    token = current_form_token(request) or console.forms.issue()
    cookies = [console.form_cookie(request, token)]
    if clear_session:
        cookies.append(Cookie(key=COOKIE, value="", path=PREFIX, expires=0, max_age=0))
    return page(
        request, template, form_token=token, status_code=status_code, cookies=cookies, **context
    )


def see_other(path: str) -> Redirect:
    """POST, then redirect, then GET (a reload never repeats the POST)."""
    return Redirect(path, status_code=303, headers=SECURITY_HEADERS)


def sign_in_required(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    ended = bool(request.cookies.get(COOKIE))
    if request.headers.get("HX-Request"):
        # An htmx poll cannot show a page: the browser loads the sign-in page instead.
        return Response(
            content="",
            status_code=401,
            headers={**SECURITY_HEADERS, "HX-Redirect": PREFIX + "/signin"},
        )
    message = "signin.expired" if exc.expired else "signin.required"
    return anonymous_page(
        request, "signin.html", status_code=401, clear_session=ended, message=message
    )


def csrf_rejected(request: Request[Any, Any, Any], _: CsrfRejected) -> Response[Any]:
    return page(request, "error.html", status_code=403, message="csrf.invalid", detail=None)
