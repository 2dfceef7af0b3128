"""Validation of every request and response against openapi/casavi.yaml with openapi-core.

``ValidatingTransport`` wraps the real httpx transport: it validates each request the
client sends (unless told not to, for tests that send bad requests on purpose) and each
response the simulator returns, records every violation and raises ``AssertionError`` at
once. Streamed multipart uploads are validated from their first 64 KiB: the metadata part
in full, the file part cut short (its bytes are not constrained by the contract).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.support.inprocess import IN_PROCESS_CASAVI

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "casavi.yaml"
CAPTURE_LIMIT = 64 * 1024


@functools.cache
def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@functools.cache
def loopback_openapi() -> OpenAPI:
    """The contract with its server moved to any port on 127.0.0.1 (built once per run)."""
    spec = copy.deepcopy(_spec())
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return OpenAPI.from_dict(spec)


@functools.cache
def in_process_openapi() -> OpenAPI:
    """The contract with its server at the in-process simulator's base URL."""
    spec = copy.deepcopy(_spec())
    spec["servers"] = [{"url": IN_PROCESS_CASAVI}]
    return OpenAPI.from_dict(spec)


def openapi_for(base_url: str) -> OpenAPI:
    if base_url == IN_PROCESS_CASAVI:
        return in_process_openapi()
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError("contract tests run on loopback (or in process) only")
    return loopback_openapi()


def _params(url: httpx.URL, headers: httpx.Headers) -> RequestParameters:
    return RequestParameters(
        query=ImmutableMultiDict(parse_qsl(url.query.decode(), keep_blank_values=True)),
        header=Headers(list(headers.multi_items())),
        cookie=ImmutableMultiDict(),
    )


class OpenAPIRequest:
    def __init__(self, request: httpx.Request, body: bytes | None) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        self.path = url.raw_path.decode().split("?", 1)[0]
        self.method = request.method.lower()
        self.body = body
        self.content_type = request.headers.get("content-type", "")
        self.parameters = _params(url, request.headers)


class OpenAPIWebhookRequest(OpenAPIRequest):
    def __init__(self, request: httpx.Request, body: bytes, name: str) -> None:
        super().__init__(request, body)
        self.name = name


class OpenAPIResponse:
    def __init__(self, response: httpx.Response, data: bytes) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.multi_items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = data


def shorten_multipart(captured: bytes, content_type: str) -> bytes:
    """A valid multipart body: the captured head with the file part cut to a stub."""
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    marker = b'name="file"'
    start = captured.find(marker)
    if start < 0:
        return captured
    body_start = captured.find(b"\r\n\r\n", start) + 4
    return captured[:body_start] + b"(file bytes not captured)\r\n--" + boundary + b"--\r\n"


def _describe(exc: Exception) -> str:
    parts = [repr(exc)[:600]]
    cause = exc.__cause__
    while cause is not None:
        parts.append(repr(cause)[:600])
        for sub in getattr(cause, "schema_errors", ()) or ():
            parts.append(str(getattr(sub, "message", sub))[:300])
        cause = cause.__cause__
    return " <- ".join(parts)


class _TeeStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.captured = bytearray()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            room = CAPTURE_LIMIT - len(self.captured)
            if room > 0:
                self.captured.extend(chunk[:room])
            yield chunk


class ValidatingTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        openapi: OpenAPI,
        violations: list[str],
        *,
        validate_requests: bool = True,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._openapi = openapi
        self._violations = violations
        self._validate_requests = validate_requests
        self._inner = inner or httpx.AsyncHTTPTransport()
        self.checked = 0

    async def aclose(self) -> None:
        await self._inner.aclose()

    def _fail(self, what: str, request: httpx.Request, exc: Exception) -> None:
        message = f"{what} {request.method} {request.url.path}: {_describe(exc)}"
        self._violations.append(message)
        raise AssertionError(message)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_sandbox"):
            return await self._inner.handle_async_request(request)
        tee: _TeeStream | None = None
        if isinstance(request.stream, httpx.ByteStream):
            body: bytes | None = request.read()
        else:
            tee = _TeeStream(request.stream)
            request.stream = tee
            body = None
        if tee is None:
            self._check_request(request, body)
        response = await self._inner.handle_async_request(request)
        data = await response.aread()
        await response.aclose()
        if tee is not None:
            content_type = request.headers.get("content-type", "")
            self._check_request(request, shorten_multipart(bytes(tee.captured), content_type))
        checked = OpenAPIRequest(request, body)
        try:
            self._openapi.validate_response(checked, OpenAPIResponse(response, data))
        except Exception as exc:  # any violation fails the test
            self._fail("response to", request, exc)
        self.checked += 1
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=data,
            request=request,
            extensions=response.extensions,
        )

    def _check_request(self, request: httpx.Request, body: bytes | None) -> None:
        if not self._validate_requests:
            return
        try:
            self._openapi.validate_request(OpenAPIRequest(request, body or None))
        except Exception as exc:  # any violation fails the test
            self._fail("request", request, exc)
