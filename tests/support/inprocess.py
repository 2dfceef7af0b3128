"""An ASGI app reached in process, as a server on loopback would serve it, without the socket.

``InProcessTransport`` is an httpx transport that hands each request to the app in a task of
its own: the request body is read in full first, the app runs in its task, and the caller
awaits the status line shielded, then reads the body the task passes on. So, as on a real
server, a caller that is cancelled (a run stopped, a timeout) leaves the handler to finish
and its effects stay; httpx's ``ASGITransport`` runs the app inside the caller's task, where
the cancellation reached the handler half-way.

What a server on loopback does, this does too:

- an app that raises before it started its response answers ``500 Internal Server Error``
  (text/plain), as uvicorn does, and so does one that returns without a response; one that
  raises after the status line loses the connection: the caller's read of the body fails
  with ``httpx.RemoteProtocolError`` after the bytes sent before (a download cut mid-body);
- the client's read timeout applies to each wait for the status line or a piece of body
  (``httpx.ReadTimeout``);
- a caller that closes the response early is a client that went away: the app's further
  body is dropped and its ``receive`` says ``http.disconnect``;
- ``aclose`` waits for the handlers still running (a server's graceful shutdown).

``serve_in_process`` also runs the app's lifespan (startup before the first request,
shutdown after the last handler), as uvicorn's ``lifespan="on"``.

``Routes`` sends each request to the transport of its host, for the product's clients that
reach more than one system through one transport factory (``open_system_adapters``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import unquote

import httpx

log = logging.getLogger(__name__)

Message = dict[str, Any]

SERVER_ERROR = b"Internal Server Error"
CHUNK = 64 * 1024  # the request body reaches the app in pieces of this size
_END, _LOST = object(), object()  # the body's end; the connection dropped mid-body


def _server_error() -> tuple[int, list[tuple[bytes, bytes]]]:
    return 500, [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(SERVER_ERROR)).encode()),
        (b"connection", b"close"),
    ]


class _Body(httpx.AsyncByteStream):
    """The response's body as the handler's task sends it."""

    def __init__(self, pieces: asyncio.Queue[object], request: httpx.Request) -> None:
        self._pieces = pieces
        self._request = request
        self.closed = asyncio.Event()  # the client went away

    async def __aiter__(self) -> AsyncIterator[bytes]:
        timeout = self._request.extensions.get("timeout", {}).get("read")
        while True:
            try:
                async with asyncio.timeout(timeout):
                    piece = await self._pieces.get()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(
                    "in-process: no body in time", request=self._request
                ) from exc
            if piece is _END:
                return
            if piece is _LOST:
                raise httpx.RemoteProtocolError(
                    "in-process: the server dropped the connection mid-body", request=self._request
                )
            assert isinstance(piece, bytes)
            yield piece

    async def aclose(self) -> None:
        self.closed.set()


class InProcessTransport(httpx.AsyncBaseTransport):
    """The ASGI ``app`` behind httpx, each request handled in a task of its own."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Handlers still running (their callers may be gone)."""
        return len(self._handlers)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()  # in full, before the app sees anything
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]]
        started = asyncio.get_running_loop().create_future()
        pieces: asyncio.Queue[object] = asyncio.Queue()
        stream = _Body(pieces, request)
        handler = asyncio.create_task(self._handle(request, body, started, pieces, stream))
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            async with asyncio.timeout(timeout):
                status, headers = await asyncio.shield(started)
        except TimeoutError as exc:
            stream.closed.set()
            raise httpx.ReadTimeout("in-process: no answer in time", request=request) from exc
        except asyncio.CancelledError:
            stream.closed.set()  # the client is gone; the handler goes on
            raise
        return httpx.Response(status, headers=headers, stream=stream, request=request)

    async def _handle(
        self,
        request: httpx.Request,
        body: bytes,
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]],
        pieces: asyncio.Queue[object],
        stream: _Body,
    ) -> None:
        url = request.url
        raw_path = url.raw_path.split(b"?")[0]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": url.query,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": self.client,
            "root_path": "",
            "state": {},
        }
        complete = False
        offset, view = 0, memoryview(body)

        async def receive() -> Message:
            # The body in pieces, as a server reads it off its socket (an app that gathers
            # its body piece by piece does not meet one block of many megabytes).
            nonlocal offset
            if offset < len(body) or offset == 0:
                piece = bytes(view[offset : offset + CHUNK])
                offset = max(offset + CHUNK, 1)
                return {"type": "http.request", "body": piece, "more_body": offset < len(body)}
            await stream.closed.wait()  # until the client goes away
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal complete
            if message["type"] == "http.response.start":
                if started.done():
                    raise RuntimeError("the response was started twice")
                started.set_result((int(message["status"]), list(message.get("headers", []))))
            elif message["type"] == "http.response.body":
                if not started.done() or complete:
                    raise RuntimeError("a response body outside a response")
                piece = bytes(message.get("body", b""))
                if piece and request.method != "HEAD" and not stream.closed.is_set():
                    pieces.put_nowait(piece)
                if not message.get("more_body", False):
                    complete = True
                    pieces.put_nowait(_END)
                    stream.closed.set()  # the exchange is over (the connection is free)

        try:
            await self.app(scope, receive, send)
        except Exception:  # as uvicorn: logged, then a 500 or a dropped connection
            log.exception("in-process: exception in the ASGI application")
            self._fail(started, pieces, complete)
        else:
            if not complete:
                log.error("in-process: the ASGI application returned without a full response")
                self._fail(started, pieces, complete)

    @staticmethod
    def _fail(
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]],
        pieces: asyncio.Queue[object],
        complete: bool,
    ) -> None:
        if complete:
            return  # the client has its answer; the server's trouble is its own
        if started.done():
            pieces.put_nowait(_LOST)
            return
        started.set_result(_server_error())
        pieces.put_nowait(SERVER_ERROR)
        pieces.put_nowait(_END)

    async def aclose(self) -> None:
        """Wait for every handler still running (its caller may have gone long ago)."""
        while self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)


class Routes(httpx.AsyncBaseTransport):
    """Each request to the transport of its host; any other host is unreachable, as a
    closed port on loopback. Closing it (its client closes) closes none of them: they
    outlive their clients, as servers do (``serve_in_process`` closes each)."""

    def __init__(self, hosts: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        self._hosts = dict(hosts)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._hosts.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"in-process: no app at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """The app's lifespan: started on entry, shut down on exit (uvicorn's ``lifespan="on"``)."""
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    running = asyncio.create_task(app(scope, to_app.get, from_app.put))

    async def step(message: str) -> None:
        await to_app.put({"type": message})
        answer = asyncio.create_task(from_app.get())
        await asyncio.wait({answer, running}, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():
            answer.cancel()
            running.result()  # the app's exception, if it raised
            raise RuntimeError(f"the app ended its lifespan without answering {message}")
        reply = answer.result()
        if reply["type"] != f"{message}.complete":
            raise RuntimeError(f"{message}: {reply}")

    try:
        await step("lifespan.startup")
        yield
        await step("lifespan.shutdown")
        await running
    finally:
        if not running.done():
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


@asynccontextmanager
async def serve_in_process(app: Any) -> AsyncIterator[InProcessTransport]:
    """``app`` started (its lifespan), its transport; on exit the handlers still running are
    awaited, then the app is shut down."""
    transport = InProcessTransport(app)
    async with lifespan(app):
        try:
            yield transport
        finally:
            await transport.aclose()


@asynccontextmanager
async def served_with_client(
    app: Any, base_url: str
) -> AsyncIterator[tuple[InProcessTransport, httpx.AsyncClient]]:
    """``serve_in_process``, and a client at ``base_url`` that reaches the app (a
    simulator's control client)."""
    async with serve_in_process(app) as served:
        routes = Routes({httpx.URL(base_url).host: served})
        async with httpx.AsyncClient(base_url=base_url, transport=routes) as client:
            yield served, client


# The base URLs of the simulators served in process (no name is resolved: ``Routes`` picks
# the app by host).
IN_PROCESS_CASAVI = "http://casavi.in-process.test"
IN_PROCESS_DOCUWARE = "http://docuware.in-process.test"


class Served(Protocol):
    @property
    def base_url(self) -> str: ...

    @property
    def served(self) -> InProcessTransport | None:  # None: served over HTTP on loopback
        ...


def reach(*servers: Served) -> Callable[[], httpx.AsyncBaseTransport] | None:
    """The transport factory for the product's clients (``open_system_adapters``,
    ``build_services``, ``create_app``) that reaches these servers in process; None (the
    network) when any of them is served over HTTP."""
    hosts: dict[str, httpx.AsyncBaseTransport] = {}
    for server in servers:
        if server.served is None:
            return None
        hosts[httpx.URL(server.base_url).host] = server.served
    return lambda: Routes(hosts)
