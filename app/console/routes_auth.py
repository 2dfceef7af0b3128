"""Sign-in, sign-out and the language switch.

An operator signs in with an admin API key rather than a separate console password: there is
no second credential store to secure, rotate or back up, the key is checked against the one
table of hashed keys, and revoking the key (CLI, API or console) ends its console sessions
at once, because every console request re-reads the key. ``ixhaus`` keys are refused: they
are for iX-Haus plus, not for administration.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter

from app.adapters.store.api_keys import ApiKeyRepository
from app.console.i18n import LANGUAGES
from app.console.web import (
    COOKIE,
    CSRF_FIELD,
    FORM_COOKIE,
    PREFIX,
    anonymous_page,
    console_of,
    current_session,
    require_session,
    see_other,
)

_SAFE_NEXT = re.compile(r"^/console(/[A-Za-z0-9_./?=&%-]*)?$")


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _signin_page(
    request: Request[Any, Any, Any], message: str | None, status_code: int = 200
) -> Response[Any]:
    return anonymous_page(request, "signin.html", status_code=status_code, message=message)


async def _signed_in(request: Request[Any, Any, Any], key_name: str) -> Response[Any]:
    console = console_of(request)
    old = request.cookies.get(COOKIE)
    if old:
        await console.sessions.delete(old)
    # A new session id on sign-in: a planted cookie never becomes a signed-in session.
    session = await console.sessions.create(key_name)
    response = see_other(PREFIX)
    response.set_cookie(console.cookie(request, session))
    return response


class SignInController(Controller):
    path = "/"

    @get("/signin")
    async def signin_form(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str | None, QueryParameter(max_length=200)] = None,
        signed_out: Annotated[bool, QueryParameter(name="signedOut")] = False,
    ) -> Response[Any]:
        console = console_of(request)
        if token is not None:
            # A one-time link (portal-gateway demo): works once, for a few minutes.
            key_name = await console.links.redeem(token)
            if key_name is not None:
                async with request.app.state.session_factory() as db:
                    key = await ApiKeyRepository(db).active_by_name(key_name)
                if key is not None and key.scope == "admin":
                    return await _signed_in(request, key.name)
            console.limiter.failed(_client(request), None)
            return _signin_page(request, "signin.link_invalid", 400)
        return _signin_page(request, "signin.signed_out" if signed_out else None)

    @post("/signin", status_code=200)
    async def signin(self, request: Request[Any, Any, Any]) -> Response[Any]:
        console = console_of(request)
        form = await request.form()
        if not console.forms.matches(request.cookies.get(FORM_COOKIE), form.get(CSRF_FIELD)):
            return _signin_page(request, "csrf.invalid", 403)
        client = _client(request)
        given = form.get("api_key")
        key_text = given.strip() if isinstance(given, str) else ""
        found = None
        if key_text:
            # The key is looked up first: a valid admin key signs in whatever others did
            # from this address (issue 23 item 2).
            async with request.app.state.session_factory() as db:
                found = await ApiKeyRepository(db).find_active(key_text)
        if found is not None and found.scope == "admin":
            console.limiter.succeeded(client)
            return await _signed_in(request, found.name)
        if console.limiter.failed(client, key_text or None) is not None:
            return _signin_page(request, "signin.blocked", 429)
        if found is None:
            return _signin_page(request, "signin.unknown", 401)
        return _signin_page(request, "signin.scope", 403)

    @post("/language", status_code=303)
    async def language(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Works signed in (the session's CSRF token) and on the sign-in page (its form
        token); the language is kept in a cookie of its own."""
        console = console_of(request)
        form = await request.form()
        token = form.get(CSRF_FIELD)
        session, _ = await console.sessions.find(request.cookies.get(COOKIE))
        allowed = (
            isinstance(token, str)
            and hmac.compare_digest(token.encode(), session.csrf_token.encode())
            if session is not None
            else console.forms.matches(request.cookies.get(FORM_COOKIE), token)
        )
        if not allowed:
            return _signin_page(request, "csrf.invalid", 403)
        target = form.get("next")
        if not isinstance(target, str) or not _SAFE_NEXT.match(target) or "//" in target:
            target = PREFIX
        response = see_other(target)
        chosen = form.get("language")
        if chosen in LANGUAGES:
            response.set_cookie(console.language_cookie(request, str(chosen)))
        return response


class SignOutController(Controller):
    path = "/"
    guards = [require_session]

    @post("/signout", status_code=303)
    async def signout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        await console_of(request).sessions.delete(current_session(request).id)
        response = see_other(f"{PREFIX}/signin?signedOut=true")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response
