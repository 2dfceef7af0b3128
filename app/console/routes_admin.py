"""The API keys: create, list, revoke (with a confirmation)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, PathParameter

from app.adapters.store.api_keys import SCOPES, ApiKeyRepository
from app.console.i18n import texts
from app.console.web import (
    COOKIE,
    PREFIX,
    console_of,
    current_session,
    language_of,
    page,
    require_session,
    see_other,
)
from app.errors import GatewayError
from app.sync.ports import Configs
from app.sync.services import Services

AUDIT_ROWS = 50


def _configs(request: Request[Any, Any, Any]) -> Configs:
    services: Services = request.app.state.services
    return services.configs


class KeysController(Controller):
    path = "/keys"
    guards = [require_session]

    @get("/")
    async def list_keys(
        self, request: Request[Any, Any, Any], revoked: FromQuery[str | None] = None
    ) -> Response[Any]:
        return await self._page(request, revoked=revoked)

    @post("/", status_code=200)
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        name = str(form.get("name") or "").strip()
        scope = str(form.get("scope") or "")
        async with request.app.state.session_factory() as db:
            try:
                row, key = await ApiKeyRepository(db).create(name, scope)
                await db.commit()
            except GatewayError as exc:
                return await self._page(request, error=exc.detail, name=name, status_code=422)
        # The key is in this one response (not cached), never again.
        return await self._page(request, created=(row.name, key))

    @post("/{name:str}/revoke", status_code=303)
    async def revoke(
        self, request: Request[Any, Any, Any], name: Annotated[str, PathParameter(max_length=128)]
    ) -> Response[Any]:
        session = current_session(request)
        form = await request.form()
        if form.get("confirmed") != "yes":
            words = texts(language_of(request))
            own = name == session.key_name
            return page(
                request,
                "confirm.html",
                title=words.gettext("Revoke key %(name)s", name=name),
                question=words.gettext("Revoke the API key “%(name)s”?", name=name),
                details=[
                    words.gettext(
                        "Every program using this key is refused from now on, and every "
                        "console session opened with it ends. This cannot be undone."
                    )
                ],
                warning=words.gettext(
                    "This is the key you are signed in with: you will be signed out at once."
                )
                if own
                else None,
                action=f"{PREFIX}/keys/{quote(name)}/revoke",
                fields={},
                confirm_label=words.gettext("Revoke key %(name)s", name=name),
                cancel=f"{PREFIX}/keys",
            )
        async with request.app.state.session_factory() as db:
            await ApiKeyRepository(db).revoke(name)
            await db.commit()
        if name == session.key_name:
            # Your own key: this session ends now (every other one at its next request).
            await console_of(request).sessions.delete(session.id)
            response = see_other(f"{PREFIX}/signin?signedOut=true")
            response.delete_cookie(COOKIE, path=PREFIX)
            return response
        return see_other(f"{PREFIX}/keys?revoked={quote(name)}")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        *,
        created: tuple[str, str] | None = None,
        revoked: FromQuery[str | None] = None,
        error: str | None = None,
        name: str = "",
        status_code: int = 200,
    ) -> Response[Any]:
        async with request.app.state.session_factory() as db:
            rows = await ApiKeyRepository(db).list()
        return page(
            request,
            "keys.html",
            status_code=status_code,
            keys=rows,
            scopes=SCOPES,
            created=created,
            revoked=revoked,
            error=error,
            name=name,
        )
