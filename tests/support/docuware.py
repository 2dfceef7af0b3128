"""Fixtures for the DocuWare client and simulator tests: the simulator over real HTTP on
127.0.0.1 (or in process: ``serve_docuware``) and clients whose every request and response
is validated against openapi/docuware.yaml (downloads: status and headers, the body
streams through unread)."""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml
from openapi_core import OpenAPI

from app.adapters.docuware import DocuwareClient, DocuwareClientConfig, RetryPolicy
from app.adapters.http.clock import SYSTEM_CLOCK, Clock
from app.sandbox.docuware import (
    SANDBOX_PASSWORD,
    SANDBOX_USER,
    DocuwareSimulator,
    Faults,
    ServerThread,
    create_docuware_simulator,
)
from app.sandbox.docuware.catalogue import CREDITOR_CABINET, MAIN_CABINET, make_document
from app.sandbox.docuware.state import DocuwareSim, SimDocument
from tests.support.contract import OpenAPIRequest, OpenAPIResponse, ValidatingTransport
from tests.support.inprocess import (
    IN_PROCESS_DOCUWARE,
    InProcessTransport,
    reach,
    served_with_client,
)

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "docuware.yaml"
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=5)
MB = 1024 * 1024
LARGE_ID = 100
LARGE_SIZE = 100 * MB


def documents_for_tests() -> list[SimDocument]:
    """Ids 1-10 carry the three C9 index fields; 11 and 12 lack one; 13 is in the creditor
    cabinet; 100 is a 100 MB document without index fields."""
    complete = [
        make_document(
            n,
            recipient_type="P" if n % 2 else "K",
            object_number="1001" if n <= 5 else "1002",
            recipient_header_id=str(500 + n),
            document_type="Mietvertrag" if n % 3 == 0 else "Rechnung",
        )
        for n in range(1, 11)
    ]
    return [
        *complete,
        make_document(11, object_number=None, document_type="Protokoll"),
        make_document(12, recipient_type="X", document_type="Protokoll"),
        make_document(13, cabinet_id=CREDITOR_CABINET, recipient_type="K"),
        make_document(LARGE_ID, size=LARGE_SIZE, recipient_type=None, object_number="1003"),
    ]


@functools.cache
def docuware_openapi() -> OpenAPI:
    spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(SPEC_PATH.read_text()))
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return OpenAPI.from_dict(spec)


class DocuwareValidatingTransport(ValidatingTransport):
    """casavi's validating transport, except that a successful download is checked on its
    status and headers and then streamed through untouched (never read into memory)."""

    def __init__(self, openapi: OpenAPI, violations: list[str], **options: Any) -> None:
        super().__init__(openapi, violations, **options)
        self._openapi_dw = openapi
        self._plain = httpx.AsyncHTTPTransport()

    async def aclose(self) -> None:
        await self._plain.aclose()
        await super().aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/FileDownload"):
            return await super().handle_async_request(request)
        self._check_request(request, None)
        response = await self._plain.handle_async_request(request)
        if response.headers.get("content-type", "").startswith("application/json"):
            data = await response.aread()
            await response.aclose()
            response = httpx.Response(
                response.status_code, headers=response.headers, content=data, request=request
            )
        else:
            data, stream = await _peek(response.stream)
            response = httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=stream,
                request=request,
                extensions=response.extensions,
            )
        try:
            self._openapi_dw.validate_response(
                OpenAPIRequest(request, None), OpenAPIResponse(response, data)
            )
        except Exception as exc:  # any violation fails the test
            self._fail("response to", request, exc)
        self.checked += 1
        return response


class _Replay(httpx.AsyncByteStream):
    """The stream with its already-read first chunk put back in front."""

    def __init__(self, first: bytes, rest: AsyncIterator[bytes], inner: Any) -> None:
        self._first, self._rest, self._inner = first, rest, inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._first:
            yield self._first
        async for chunk in self._rest:
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _peek(stream: Any) -> tuple[bytes, _Replay]:
    rest = stream.__aiter__()
    try:
        first = await rest.__anext__()
    except StopAsyncIteration:
        first = b""
    return first, _Replay(first, rest, stream)


@dataclass
class Contract:
    openapi: OpenAPI
    violations: list[str] = field(default_factory=list)
    transports: list[ValidatingTransport] = field(default_factory=list)

    def transport(self, *, validate_requests: bool = True) -> ValidatingTransport:
        made = DocuwareValidatingTransport(
            self.openapi, self.violations, validate_requests=validate_requests
        )
        self.transports.append(made)
        return made

    @property
    def checked(self) -> int:
        return sum(t.checked for t in self.transports)


@dataclass
class DwHandle:
    app: DocuwareSimulator
    thread: ServerThread | None  # None: served in process
    base_url: str
    control: httpx.AsyncClient
    served: InProcessTransport | None = None  # the in-process server

    @property
    def transport(self) -> Callable[[], httpx.AsyncBaseTransport] | None:
        """For the gateway's clients (``transport=``): the simulator in process, or the
        network."""
        return reach(self)

    @property
    def state(self) -> DocuwareSim:
        return self.app.simulator

    async def faults(self, **changes: Any) -> None:
        body = msgspec.to_builtins(Faults(**changes))
        (await self.control.put("/_sandbox/faults", json=body)).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        response = await self.control.get("/_sandbox/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def route_count(self, route: str) -> int:
        return int((await self.stats())["byRoute"].get(route, 0))


@asynccontextmanager
async def serve_docuware(
    documents: list[SimDocument], page_size: int, *, in_process: bool = False
) -> AsyncIterator[DwHandle]:
    """The simulator over HTTP on loopback, or in process (its base URL reaches it only
    through ``handle.transport``)."""
    app = create_docuware_simulator(documents=documents, page_size=page_size)
    if in_process:
        async with served_with_client(app, IN_PROCESS_DOCUWARE) as (served, control):
            yield DwHandle(app, None, IN_PROCESS_DOCUWARE, control, served)
        return
    thread = ServerThread(app).start()
    try:
        async with httpx.AsyncClient(base_url=thread.base_url) as control:
            yield DwHandle(app, thread, thread.base_url, control)
    finally:
        thread.stop()


@pytest.fixture
def dw_page_size() -> int:
    return 3


@pytest.fixture
async def dw_simulator(dw_page_size: int) -> AsyncIterator[DwHandle]:
    async with serve_docuware(documents_for_tests(), dw_page_size) as handle:
        yield handle


@pytest.fixture
def dw_contract(dw_simulator: DwHandle) -> Iterator[Contract]:
    checked = Contract(docuware_openapi())
    yield checked
    assert not checked.violations, checked.violations


ClientFactory = Callable[..., DocuwareClient]


@pytest.fixture
async def make_dw_client(
    dw_simulator: DwHandle, dw_contract: Contract
) -> AsyncIterator[ClientFactory]:
    made: list[DocuwareClient] = []

    def make(*, clock: Clock = SYSTEM_CLOCK, **overrides: Any) -> DocuwareClient:
        settings: dict[str, Any] = {
            "base_url": dw_simulator.base_url,
            "username": SANDBOX_USER,
            "password": SANDBOX_PASSWORD,
            "retry": FAST_RETRY,
            **overrides,
        }
        config = DocuwareClientConfig(**settings)
        client = DocuwareClient(config, transport=dw_contract.transport(), clock=clock)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def dw_client(make_dw_client: ClientFactory) -> DocuwareClient:
    return make_dw_client()


@pytest.fixture
async def dw_raw(dw_simulator: DwHandle, dw_contract: Contract) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client that may send bad requests; responses are still validated."""
    transport = dw_contract.transport(validate_requests=False)
    async with httpx.AsyncClient(base_url=dw_simulator.base_url, transport=transport) as plain:
        yield plain


async def raw_token(raw: httpx.AsyncClient, user: str = SANDBOX_USER) -> httpx.Response:
    return await raw.post(
        "/DocuWare/Identity/connect/token",
        data={
            "grant_type": "password",
            "scope": "docuware.platform",
            "client_id": "docuware.platform.net.client",
            "username": user,
            "password": SANDBOX_PASSWORD,
        },
    )


__all__ = ["CREDITOR_CABINET", "LARGE_ID", "LARGE_SIZE", "MAIN_CABINET"]
