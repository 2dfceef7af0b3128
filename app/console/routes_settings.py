"""A system's settings (rules C1–C15): one page and form per group of rules, every problem
at once next to its field, in the operator's language; with the audit trail and the
connection check. Whether a value is right is the configuration's call (through the
``Configs`` port, as for the API); this module places its answers on the page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from markupsafe import Markup, escape

from app.configuration.document import System
from app.configuration.secrets import SECRET_NAMES
from app.console.forms import (
    GROUPS,
    POLICIES,
    Group,
    field_of,
    group_of,
    secret_field_id,
    submitted_values,
    text_values,
    to_patch,
)
from app.console.i18n import Texts, texts
from app.console.messages import translate
from app.console.web import (
    PREFIX,
    console_of,
    current_session,
    language_of,
    page,
    require_session,
    see_other,
)
from app.errors import GatewayError, InvalidInput, NotFound
from app.sync.ports import Configs
from app.sync.services import Services

AUDIT_ROWS = 50
FIRST = GROUPS[0].name
Placed = tuple[dict[str, list[Markup]], list[Markup]]  # per field, and the rest


def _configs(request: Request[Any, Any, Any]) -> Configs:
    services: Services = request.app.state.services
    return services.configs


def _group(name: str) -> Group:
    group = group_of(name)
    if group is None:
        raise NotFound(f"No settings page {name!r}.")
    return group


def _url(system: str, group: Group) -> str:
    return f"{PREFIX}/systems/{system}/settings/{group.name}"


class SettingsController(Controller):
    path = "/systems/{system:str}/settings"
    guards = [require_session]

    @get("/")
    async def first(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        return await self._show(request, system, FIRST)

    @post("/", status_code=200)
    async def save_first(
        self, request: Request[Any, Any, Any], system: FromPath[System]
    ) -> Response[Any]:
        return await self._save(request, system, FIRST)

    @get("/{group:str}")
    async def show(
        self, request: Request[Any, Any, Any], system: FromPath[System], group: FromPath[str]
    ) -> Response[Any]:
        return await self._show(request, system, group)

    @post("/{group:str}", status_code=200)
    async def save(
        self, request: Request[Any, Any, Any], system: FromPath[System], group: FromPath[str]
    ) -> Response[Any]:
        return await self._save(request, system, group)

    async def _show(
        self, request: Request[Any, Any, Any], system: System, group: str
    ) -> Response[Any]:
        view = await _configs(request).view(system)
        return await self._page(request, system, _group(group), text_values(view), ({}, []))

    async def _save(
        self, request: Request[Any, Any, Any], system: System, group: str
    ) -> Response[Any]:
        chosen = _group(group)
        form = {
            key: value for key, value in (await request.form()).items() if isinstance(value, str)
        }
        words = texts(language_of(request))
        configs = _configs(request)
        actor = f"console:{current_session(request).key_name}"
        try:
            current = await configs.view(system)
            after = await configs.patch(system, to_patch(form, chosen, current), actor)
        except InvalidInput as exc:
            placed = place(words, chosen, exc.errors or [("", exc.detail)])
        except GatewayError as exc:
            placed = ({}, [translate(words, exc.detail)])
        else:
            changed = "1" if after.version != current.version else "0"
            return see_other(f"{_url(system, chosen)}?saved={changed}#saved")
        values = submitted_values(form)
        return await self._page(request, system, chosen, values, placed, status_code=422)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        system: System,
        group: Group,
        values: dict[str, Any],
        placed: Placed,
        *,
        status_code: int = 200,
    ) -> Response[Any]:
        configs = _configs(request)
        view = await configs.view(system)
        errors, general = placed
        return page(
            request,
            "settings.html",
            status_code=status_code,
            system=system,
            view=view,
            values=values,
            errors=errors,
            general=general,
            saved=request.query_params.get("saved"),
            groups=GROUPS,
            group=group,
            action=_url(system, group),
            policies=POLICIES,
            secret_states={
                api: getattr(view.secrets, stored) for api, stored in SECRET_NAMES.items()
            },
            secret_field_id=secret_field_id,
            changes=await configs.changes(system, AUDIT_ROWS),
            check=console_of(request).checks.get(system),
        )


def place(words: Texts, group: Group, problems: list[tuple[str, str]]) -> Placed:
    """Each problem next to its field on this page, in the operator's language; problems of
    fields on another page (an active system needs the casavi key) above the form, named."""
    here = {f.name for f in group.fields} | {
        f"secrets.{name}.{part}" for name in group.secrets for part in ("value", "confirmation")
    }
    errors: dict[str, list[Markup]] = {}
    general: list[Markup] = []
    for reported, message in problems:
        name, entry = field_of(reported)
        text = translate(words, message)
        if entry is not None:
            text = escape(words.gettext("entry %(n)s", n=entry)) + Markup(": ") + text
        if name in here:
            if text not in errors.setdefault(name, []):
                errors[name].append(text)
        elif reported:
            field = name.removesuffix(".value").removesuffix(".confirmation")
            general.append(escape(words.label("field", field)) + Markup(": ") + text)
        else:
            general.append(text)
    return errors, general
