"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to break a server's network.

``cut("blackhole")`` models a partition: connections stay open but nothing gets through
in either direction, and new connections are accepted but never answered. ``cut("reset")``
models a crash: every connection is closed and new ones are refused at once.
``restore()`` closes what the cut left behind and forwards new connections again.

The proxy runs its own event loop in a thread, so it keeps working whatever the code under
test does with its loop (Litestar's test client, for one, blocks the caller's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Literal

Mode = Literal["blackhole", "reset"]


class ThreadedFaultProxy:
    """A ``FaultProxy`` on its own event loop in a daemon thread, with a blocking API."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._proxy = FaultProxy(upstream_host, upstream_port)
        self._call(self._proxy.start())
        self.port = self._proxy.port

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def cut(self, mode: Mode) -> None:
        self._call(self._proxy.cut(mode))

    def restore(self) -> None:
        self._call(self._proxy.restore())

    def close(self) -> None:
        try:
            self._call(self._proxy.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop.close()


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._mode: Mode | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def cut(self, mode: Mode) -> None:
        self._mode = mode
        self._flowing.clear()
        if mode == "reset":
            await self._close_all()
            await self._stop_listening()

    async def restore(self) -> None:
        await self._close_all()
        self._mode = None
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        self._mode = "reset"
        await self._close_all()
        await self._stop_listening()

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _close_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self._mode is not None:
            return  # blackhole: hold the connection open, answer nothing
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.close()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                await self._flowing.wait()  # a partition: bytes stop here
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            sink.close()
