"""Hostile-input guards that run before any handler (issue 10 item 7), as one ASGI middleware.

- Control characters (NUL, newlines, escape...) in the path or the query string: 400. No
  gateway resource or parameter contains them, and the databases and logs must never see them.
- A body on an operation that takes JSON must be JSON (``application/json``, or any
  ``application/*+json`` such as ``application/merge-patch+json``): otherwise 415.
- JSON nested deeper than ``MAX_JSON_DEPTH``: 400, before a decoder recurses into it.
- Query parameters the operation does not declare: 400 (issue 10 item 8), so the documented
  parameters are the whole truth and a misspelt ``limt=5`` is not silently ignored.
- A JSON body is decoded strictly against the operation's type once (issue 10 item 8):
  Litestar converts bodies leniently, so ``0`` passed for a boolean and ``"5"`` for a number;
  such a body is a 422 naming every wrong field at once, as the OpenAPI types promise.
- OPTIONS answers with every method of the path in ``Allow`` (issue 10 item 8): Litestar's
  generated OPTIONS handler keeps the methods known when the path's first handler was
  registered (``OPTIONS, PATCH`` for a path with GET, PUT and PATCH).

Litestar runs app middleware after routing, so unknown paths stay 404 and the middleware sees
the route handler (and whether it takes a body) in the scope.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import msgspec
import msgspec.inspect
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from app.configuration.shape import invalid_body, raise_problems, repaired, shape_problems
from app.domain.ids import ID_MARK
from app.errors import MalformedRequest, UnsupportedMediaType

MAX_JSON_DEPTH = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x1f\x7f]")
_CONTROL_BYTE_SET = bytes([*range(0x20), 0x7F])
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _has_control_bytes(query: bytes) -> bool:
    """Control bytes in the query string, raw or percent-encoded. A bulk portal-status query
    is ~1.3 KB: decoding is skipped when there is no ``%`` (the decoded bytes are the same)."""
    if query.translate(None, _CONTROL_BYTE_SET) != query:
        return True
    return b"%" in query and _CONTROL_BYTES.search(unquote_to_bytes(query)) is not None


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body`` (strings skipped); cheap for 1 MB."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _takes_body(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    if handler is None:
        return False
    return "data" in handler.parsed_fn_signature.parameters


def hostile_input_guard(app: ASGIApp) -> ASGIApp:
    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        if has_control_characters(scope["path"]):
            raise MalformedRequest("The path contains control characters.")
        query = scope.get("query_string", b"")
        if query and _has_control_bytes(query):
            raise MalformedRequest("The query string contains control characters.")
        # The versioned API declares every parameter (its OpenAPI document is the contract);
        # the console's pages and the schema UI keep their own query conventions.
        if query and scope["path"].startswith("/api/"):
            unknown = _undeclared_query_parameters(scope, query)
            if unknown:
                raise MalformedRequest(
                    "Unknown query parameters: " + ", ".join(repr(name) for name in unknown),
                    errors=[(name, "is not a parameter of this operation") for name in unknown],
                )
        if scope["method"] == "OPTIONS":
            await app(scope, receive, _with_allow(scope, send))
            return
        if scope["method"] not in _BODY_METHODS or not _takes_body(scope):
            await app(scope, receive, send)
            return
        body, more = await _read_up_to(receive, _body_limit(scope))
        if body or more:
            content_type = _header(scope, b"content-type")
            if not is_json(content_type):
                raise UnsupportedMediaType(
                    "Send the body as JSON (Content-Type: application/json)."
                )
            if not more and json_depth(body) > MAX_JSON_DEPTH:
                raise MalformedRequest(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
            if not more:
                body = _decode_strictly(scope, body)
        await app(scope, _replay(body, more, receive), send)

    return guard


def _route(scope: Scope) -> HTTPRoute | None:
    template = scope.get("path_template", "")
    for route in scope["app"].routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            return route
    return None


# (app, path template, method) -> the query parameter names the operation declares. Routes
# are fixed once the app is built, so each is looked up once instead of per request.
_DECLARED: dict[tuple[int, str, str], frozenset[str] | None] = {}


def _declared_query_parameters(scope: Scope) -> frozenset[str] | None:
    method = str(scope.get("method", ""))
    cache_key = (id(scope["app"]), str(scope.get("path_template", "")), method)
    if cache_key in _DECLARED:
        return _DECLARED[cache_key]
    route = _route(scope)
    declared: frozenset[str] | None = None
    if route is not None and method in route.route_handler_map:
        _, kwargs_model = route.route_handler_map[method]  # type: ignore[index]
        declared = frozenset(param.field_alias for param in kwargs_model.expected_query_params)
    if len(_DECLARED) < 10_000:
        _DECLARED[cache_key] = declared
    return declared


# A parameter's value: from its first ``=`` up to the next ``&``.
_VALUE = re.compile(rb"=[^&]*")


def query_parameter_names(query: bytes) -> set[str]:
    """The names in a query string, decoded as ``urllib.parse.parse_qsl`` decodes them, without
    decoding the values (a bulk request repeats one name hundreds of times).

    Each ``&``-separated part names what stands before its first ``=``; an empty part names
    nothing, ``=x`` names the empty name. The values are cut in C first (``number=&number=``),
    so a name repeated a hundred times is handled once."""
    names: set[str] = set()
    for part in set(_VALUE.sub(b"=", query).split(b"&")):
        if not part:
            continue
        raw = part[:-1] if part.endswith(b"=") else part
        name = raw.decode("latin-1")
        if b"%" in raw or b"+" in raw:
            name = unquote(name.replace("+", " "))
        names.add(name)
    return names


def _undeclared_query_parameters(scope: Scope, query: bytes) -> list[str]:
    declared = _declared_query_parameters(scope)
    if declared is None:
        return []
    return sorted(query_parameter_names(query) - declared)


def allowed_methods(scope: Scope) -> str:
    """Every method of the matched path, as ``Allow`` lists them."""
    template = scope.get("path_template", "")
    methods: set[str] = {"OPTIONS"}
    for route in scope["app"].routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            methods.update(route.methods)
    return ", ".join(sorted(methods))


def _with_allow(scope: Scope, send: Send) -> Send:
    async def send_with_allow(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] < 300:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            headers.append((b"allow", allowed_methods(scope).encode("latin-1")))
            message["headers"] = headers
        await send(message)

    return send_with_allow


# A handler whose body is checked as a whole (the configuration: its own rules need the
# stored document) sets this in its ``opt``: the shape's problems then travel to it in
# ``scope["state"][SHAPE_PROBLEMS]`` with the offending values taken out of the body, so that
# one answer names every problem - after authentication, like any handler's answer.
ALL_PROBLEMS_AT_ONCE = "all_problems_at_once"
SHAPE_PROBLEMS = "shape_problems"


def _decode_strictly(scope: Scope, body: bytes) -> bytes:
    """The body the handler gets: ``body``, or for ``ALL_PROBLEMS_AT_ONCE`` the repaired one."""
    handler: Any = scope["route_handler"]
    annotation = handler.parsed_fn_signature.parameters["data"].annotation
    if not (isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)):
        return body
    try:
        msgspec.json.decode(body, type=annotation, strict=True)
    except msgspec.ValidationError as exc:
        field = _id_field(annotation, str(exc))
        if field is not None:
            # An id that breaks its declared pattern or length (issue 23 item 4).
            raise MalformedRequest(
                f"{field} is not a valid id", errors=[(field, "is not a valid id")]
            ) from None
        # Every wrong field at once, in words (``configuration.shape``); msgspec's first
        # problem only for a type the walk does not know.
        try:
            raw = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return body  # a wrong value, then no JSON ("5 x"): Litestar answers it with a 400
        found = shape_problems(raw, annotation)
        rest = repaired(raw, annotation, found) if found else None
        if rest is not None and handler.opt.get(ALL_PROBLEMS_AT_ONCE):
            scope.setdefault("state", {})[SHAPE_PROBLEMS] = found
            return msgspec.json.encode(rest)
        raise_problems(found)
        raise invalid_body(exc) from None
    except msgspec.DecodeError:
        pass  # not JSON at all: Litestar answers that with its own 400
    return body


def _id_field(annotation: type[msgspec.Struct], message: str) -> str | None:
    """The body's top-level field a validation error names, if it is an id (``ID_MARK``)."""
    found = re.search(r"- at `\$\.([A-Za-z0-9_]+)`$", message)
    if found is None:
        return None
    return found.group(1) if found.group(1) in _id_fields(annotation) else None


@functools.cache
def _id_fields(annotation: type[msgspec.Struct]) -> frozenset[str]:
    info = msgspec.inspect.type_info(annotation)
    if not isinstance(info, msgspec.inspect.StructType):
        return frozenset()
    return frozenset(
        field.encode_name
        for field in info.fields
        if isinstance(field.type, msgspec.inspect.Metadata)
        and (field.type.extra or {}).items() >= ID_MARK.items()
    )


def _body_limit(scope: Scope) -> int:
    handler: Any = scope["route_handler"]
    limit = handler.resolve_request_max_body_size()
    return int(limit) if limit else 10_000_000


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _read_up_to(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body's first ``limit`` + 1 bytes at most, and whether more may follow; a larger
    body is left for Litestar to refuse with 413."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            # A disconnect: hand it on as the end of the body.
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
