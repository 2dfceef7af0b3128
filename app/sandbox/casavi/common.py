"""Helpers shared by the simulator's handlers: errors, JSON bodies, pages, lookups."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode

import msgspec
from litestar import Request, Response

from app.sandbox.casavi.state import Simulator
from app.sandbox.casavi.store import BY_CREATION, Record, Where

T = TypeVar("T")
AnyRequest = Request[Any, Any, Any]
# What casavi derives when it shows records (may read the request's own parameters).
PageView = Callable[[Simulator, list[Record], AnyRequest], list[Record]]
PAGING = frozenset({"page", "pageSize"})


def query_opt(*names: str, paging: bool = False) -> dict[str, Any]:
    """Route ``opt`` declaring the query parameters an operation takes (as in the contract)."""
    return {"query": frozenset(names) | (PAGING if paging else frozenset())}


def record_unknown_query(request: AnyRequest) -> None:
    """A query parameter the operation does not declare is accepted and ignored, and counted
    in the stats (``unknownQuery``, by ``"METHOD /path/template name"``).

    casavi's answer to an unknown parameter is not published; an API that ignores it is the
    common case. Tests read the count (``SimHandle.unknown_query``) to catch the gateway's own
    mistakes: a filter the API does not know would look applied and is not.
    """
    if not request.url.path.startswith("/v2/"):
        return
    allowed: Collection[str] = request.route_handler.opt.get("query", frozenset())
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        template = re.sub(r":\w+\}", "}", request.scope.get("path_template") or request.url.path)
        for name in unknown:
            sim_of(request).stats.unknown_query[f"{request.method} {template} {name}"] += 1


class SimError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sim_of(request: AnyRequest) -> Simulator:
    sim: Simulator = request.app.state["sim"]
    return sim


def ref(value: str) -> str:
    """A reference id from the path (``%2F`` was kept encoded for routing)."""
    return unquote(value)


def json_response(data: object, status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(data), status_code=status, media_type="application/json"
    )


def error_response(status: int, message: str) -> Response[bytes]:
    return json_response({"status": status, "message": message}, status)


async def decode_body(request: AnyRequest, into: type[T]) -> T:
    raw = await request.body()
    try:
        return msgspec.json.decode(raw, type=into)
    except msgspec.ValidationError as exc:
        raise SimError(422, f"invalid body: {exc}") from None
    except msgspec.DecodeError:
        raise SimError(400, "body is not valid JSON") from None


def to_record(item: msgspec.Struct, read_type: type[msgspec.Struct], **extra: Any) -> Record:
    """The full read form of a write Struct plus casavi's own fields, validated."""
    merged = {**msgspec.to_builtins(item), **extra}
    try:
        full = msgspec.convert(merged, read_type)
    except msgspec.ValidationError as exc:
        raise SimError(422, f"invalid body: {exc}") from None
    data: Record = msgspec.to_builtins(full)
    return data


def require(sim: Simulator, kind: str, value: str | None, field: str) -> None:
    if value is not None and sim.store.get(kind, value) is None:
        raise SimError(422, f"{field} {value!r} does not exist")


def _int_param(request: AnyRequest, name: str, default: int, upper: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SimError(400, f"{name} must be an integer") from None
    if not 1 <= value <= upper:
        raise SimError(400, f"{name} must be between 1 and {upper}")
    return value


def bool_param(request: AnyRequest, name: str) -> bool | None:
    raw: str | None = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise SimError(400, f"{name} must be true or false")
    return raw == "true"


def modified_after(request: AnyRequest) -> str | None:
    raw = request.query_params.get("modifiedAfter")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise SimError(400, "modifiedAfter must be an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        raise SimError(400, "modifiedAfter must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def page_response(
    request: AnyRequest,
    kind: str,
    *,
    parent: str = "",
    where: tuple[Where, ...] = (),
    with_modified_after: bool = False,
    order: str = BY_CREATION,
    view: PageView | None = None,
) -> Response[bytes]:
    """A v2 page; ``_links.next`` is an absolute URL with ``page`` + 1 (pages count from 1)."""
    sim = sim_of(request)
    page = _int_param(request, "page", 1, 1_000_000)
    size = _int_param(request, "pageSize", sim.default_page_size, 500)
    items, more = sim.store.page(
        kind,
        offset=(page - 1) * size,
        limit=size,
        parent=parent,
        modified_after=modified_after(request) if with_modified_after else None,
        where=where,
        order=order,
    )
    if view is not None:
        items = view(sim, items, request)
    next_link = None
    if more:
        query = dict(request.query_params)
        query["page"] = str(page + 1)
        url = request.url
        next_link = f"{url.scheme}://{url.netloc}{url.path}?{urlencode(query)}"
    return json_response({"list": items, "_links": {"next": next_link}})
