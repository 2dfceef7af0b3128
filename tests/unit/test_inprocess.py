"""The in-process transport (tests/support/inprocess.py) behaves as a server on loopback.

The tests marked "ASGITransport" run the same steps on httpx's own in-process transport,
which runs the app inside the caller's task: they must fail (strict xfail), which is why
the simulators are not served by it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.asgi import asgi_transport as asgi_transport_of
from tests.support.inprocess import InProcessTransport, Routes, serve_in_process

Message = dict[str, Any]


class Slow:
    """An ASGI app: ``POST /write`` waits for ``release``, then records the body; ``GET``
    answers what was written. ``/boom`` raises before its response, ``/drop`` after the
    status line, ``/silent`` returns without one."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.pieces = 0  # request body messages received
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.started = self.stopped = False

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.started = True
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.stopped = True
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            self.pieces += 1
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path == "/boom":
            raise ValueError("boom")
        if path == "/silent":
            return
        if path == "/write":
            self.entered.set()
            await self.release.wait()
            self.written.append(body)
        if path == "/drop":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
            raise ConnectionAbortedError("dropped")
        answer = b"|".join(self.written) if scope["method"] == "GET" else b"stored:" + body
        await send(
            {
                "type": "http.response.start",
                "status": 201 if scope["method"] == "POST" else 200,
                "headers": [
                    (b"content-type", b"text/plain"),
                    (b"x-path", scope["raw_path"]),
                    (b"x-query", scope["query_string"]),
                    (b"set-cookie", b"a=1"),
                    (b"set-cookie", b"b=2"),
                ],
            }
        )
        # The body in two parts: both reach the caller.
        await send({"type": "http.response.body", "body": answer[:3], "more_body": True})
        await send({"type": "http.response.body", "body": answer[3:]})


def asgi_transport(app: Slow) -> httpx.AsyncBaseTransport:
    return asgi_transport_of(app)


TRANSPORTS = [
    pytest.param(InProcessTransport, id="in-process"),
    pytest.param(
        asgi_transport,
        id="ASGITransport",
        marks=pytest.mark.xfail(strict=True, reason="runs the app in the caller's task"),
    ),
]
Make = Callable[[Slow], httpx.AsyncBaseTransport]


@pytest.mark.parametrize("make", TRANSPORTS)
async def test_a_cancelled_caller_leaves_the_handler_to_finish(make: Make) -> None:
    app = Slow()
    transport = make(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        call = asyncio.create_task(client.post("/write", content=b"row"))
        await app.entered.wait()
        call.cancel()  # the caller goes (a stopped run) while the handler is mid-way
        with pytest.raises(asyncio.CancelledError):
            await call
        app.release.set()
        for _ in range(20):
            await asyncio.sleep(0)
        # As on a real server: the handler went on and its write stays.
        assert app.written == [b"row"]
        assert (await client.get("/read")).content == b"row"


@pytest.mark.parametrize("make", TRANSPORTS)
async def test_close_waits_for_the_handlers_still_running(make: Make) -> None:
    app = Slow()
    transport = make(app)
    client = httpx.AsyncClient(transport=transport, base_url="http://app")
    call = asyncio.create_task(client.post("/write", content=b"late"))
    await app.entered.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    closing = asyncio.create_task(client.aclose())
    await asyncio.sleep(0.05)
    assert not closing.done()  # a handler still runs: close waits for it
    app.release.set()
    await closing
    assert app.written == [b"late"]


async def test_status_headers_and_body_pass_through() -> None:
    app = Slow()
    app.release.set()
    async with httpx.AsyncClient(transport=InProcessTransport(app), base_url="http://app") as c:
        response = await c.post("/write?x=%2F1&y=2", content=b"payload")
        assert response.status_code == 201
        assert response.content == b"stored:payload"
        assert response.headers["content-type"] == "text/plain"
        assert response.headers["x-query"] == "x=%2F1&y=2"
        assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
        # The raw path keeps an encoded slash (reference ids may hold one).
        encoded = await c.get("/a%2Fb")
        assert encoded.headers["x-path"] == "/a%2Fb"
        assert encoded.status_code == 200
        head = await c.head("/read")
        assert head.status_code == 200
        assert head.content == b""


async def test_a_streamed_request_body_reaches_the_app_in_full_in_pieces() -> None:
    app = Slow()
    app.release.set()

    async def chunks() -> Any:
        for part in (b"a" * 70_000, b"b" * 70_000):
            yield part

    async with httpx.AsyncClient(transport=InProcessTransport(app), base_url="http://app") as c:
        response = await c.post("/write", content=chunks())
    assert response.status_code == 201
    assert app.written == [b"a" * 70_000 + b"b" * 70_000]
    assert app.pieces == 3  # 64 KiB at a time, as off a socket


async def test_an_exception_before_the_response_is_a_500_as_with_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Slow()
    with caplog.at_level(logging.ERROR, logger="tests.support.inprocess"):
        async with httpx.AsyncClient(
            transport=InProcessTransport(app), base_url="http://app"
        ) as client:
            failed = await client.get("/boom")
            silent = await client.get("/silent")
    # uvicorn answers "500 Internal Server Error" (text/plain) and logs the exception.
    for response in (failed, silent):
        assert response.status_code == 500
        assert response.text == "Internal Server Error"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "exception in the ASGI application" in caplog.text


async def test_an_exception_after_the_status_line_drops_the_connection_mid_body() -> None:
    # uvicorn closes the connection: the client gets what was sent, then the break.
    app = Slow()
    got: list[bytes] = []

    async def read(response: httpx.Response) -> None:
        async for piece in response.aiter_raw():
            got.append(piece)

    transport = InProcessTransport(app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://app") as c,
        c.stream("GET", "/drop") as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await read(response)
    assert got == [b"part"]


async def test_the_read_timeout_applies_and_the_handler_still_finishes() -> None:
    app = Slow()
    transport = InProcessTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app", timeout=0.05) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.post("/write", content=b"slow")
        assert transport.in_flight == 1
        app.release.set()
    assert app.written == [b"slow"]


async def test_served_with_its_lifespan_and_routed_by_host() -> None:
    app = Slow()
    app.release.set()
    async with serve_in_process(app) as transport:
        assert app.started
        routes = Routes({"app.test": transport})
        async with httpx.AsyncClient(transport=routes) as client:
            assert (await client.post("http://app.test/write", content=b"x")).status_code == 201
            with pytest.raises(httpx.ConnectError):
                await client.get("http://elsewhere.test/")
        # The client is closed; the app still serves (as a server outlives its clients).
        async with httpx.AsyncClient(transport=routes) as client:
            assert (await client.get("http://app.test/read")).content == b"x"
    assert app.stopped
