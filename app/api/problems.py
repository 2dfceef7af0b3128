"""RFC 9457 problem details: the one place errors become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg.exceptions
import msgspec
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from app.errors import DependencyUnavailable, GatewayError, TooManyRequests
from app.logsafe import untrusted

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "urn:portal-gateway:problem:"


class FieldError(msgspec.Struct, kw_only=True):
    field: str | None = None
    message: str


class ProblemDetails(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details, with the offending fields in ``errors`` when there are any."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "The request is malformed (body, query or path parameter).",
    401: "No API key, or one that is unknown or revoked.",
    403: "The API key lacks the scope this operation needs.",
    404: "The resource does not exist.",
    409: "The request conflicts with the current state.",
    413: "The body is larger than this endpoint accepts.",
    415: "The body is not JSON (send Content-Type: application/json).",
    422: "The request is well-formed but its content is invalid.",
    429: "Too many failed authentications from this client; wait for Retry-After seconds.",
    502: "casavi did not take the record (the ledger and the protocol say why).",
    503: "A dependency of the gateway (its database, Redis) is unavailable; retry later.",
}


def problem_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses an operation can return."""
    return {
        code: ResponseSpec(
            data_container=ProblemDetails,
            description=_DESCRIPTIONS[code],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for code in codes
    }


API_PROBLEMS = (400, 401, 403, 429, 503)


def problem_response(
    status: int,
    title: str,
    *,
    code: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ProblemDetails]:
    body = ProblemDetails(
        type=_TYPE_BASE + code,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors or None,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _gateway_error(
    request: Request[Any, Any, Any],
    exc: GatewayError,
    *,
    headers: dict[str, str] | None = None,
) -> Response[ProblemDetails]:
    if isinstance(exc, TooManyRequests):
        headers = {**(headers or {}), "Retry-After": str(exc.retry_after)}
    return problem_response(
        exc.status,
        exc.title,
        code=exc.code,
        detail=exc.detail,
        instance=request.url.path,
        errors=[FieldError(field=field, message=message) for field, message in exc.errors],
        headers=headers,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ProblemDetails]:
    status = exc.status_code
    errors: list[FieldError] | None = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        items = [item for item in exc.extra if isinstance(item, dict)]
        errors = [
            FieldError(field=_field_name(item.get("key")), message=str(item.get("message", "")))
            for item in items
        ]
        if items and all(item.get("source") == "body" for item in items):
            # Well-formed JSON whose content is wrong: 422, naming the fields.
            return problem_response(
                422,
                "Invalid input",
                code="invalid-input",
                detail="; ".join(f"{e.field}: {e.message}" for e in errors),
                instance=request.url.path,
                errors=errors,
            )
    title = _title(status)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "content-type"}
    return problem_response(
        status,
        title,
        code=title.lower().replace(" ", "-"),
        detail=exc.detail if exc.detail != title else None,
        instance=request.url.path,
        errors=errors,
        headers=headers or None,
    )


def _field_name(key: object) -> str | None:
    if not key:
        return None
    # Litestar names the whole body after the handler's parameter, `data`.
    return "body" if key == "data" else str(key)


# Errors that mean "the gateway's database (or another server) is not answering", as opposed
# to a bug: a refused or reset connection, a connect or statement timeout, a full pool.
_ASYNCPG_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, cannot connect now
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # e.g. "connection is closed"
)
RETRY_AFTER_SECONDS = 5


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says a server did not answer (503), rather than that we have a bug."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        return (
            exc.connection_invalidated
            or isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError))
            or isinstance(exc.orig, (*_ASYNCPG_UNAVAILABLE, OSError, TimeoutError))
        )
    return isinstance(
        exc,
        (
            sqlalchemy.exc.TimeoutError,  # no free pooled connection in time
            sqlalchemy.exc.DisconnectionError,
            OSError,  # refused, reset, unreachable (socket errors)
            TimeoutError,  # connect or statement timeout (asyncio.TimeoutError is this class)
            *_ASYNCPG_UNAVAILABLE,
        ),
    )


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    if not is_unavailable(exc):
        return _unexpected(request, exc)
    log.warning(
        "dependency unavailable on %s %s: %s",
        untrusted(request.method),
        untrusted(request.url.path),
        type(exc).__name__,
    )
    return _gateway_error(
        request,
        DependencyUnavailable("A server the gateway depends on did not answer; try again shortly."),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    # Only the type reaches the log line: exception messages can carry personal data. The
    # path comes from the client: escaped, so `%0a` in it cannot start a forged log line.
    log.error(
        "unhandled %s on %s %s",
        type(exc).__name__,
        untrusted(request.method),
        untrusted(request.url.path),
    )
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal error",
        code="internal-error",
        instance=request.url.path,
    )


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    GatewayError: _gateway_error,
    HTTPException: _http_error,
    sqlalchemy.exc.SQLAlchemyError: _unavailable,
    OSError: _unavailable,
    TimeoutError: _unavailable,
    asyncpg.exceptions.PostgresError: _unavailable,
    asyncpg.exceptions.InterfaceError: _unavailable,
    Exception: _unexpected,
}

__all__ = [
    "API_PROBLEMS",
    "EXCEPTION_HANDLERS",
    "PROBLEM_MEDIA_TYPE",
    "FieldError",
    "ProblemDetails",
    "problem_response",
    "problem_responses",
]
