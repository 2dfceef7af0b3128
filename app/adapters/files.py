"""Files opened in a worker thread without losing them to a cancellation.

``anyio.open_file`` opens in a worker thread. A caller cancelled while that thread runs (a
run stopped, a job past its time limit, while an upload opens its file) gets the
cancellation at once, and the thread's result is dropped when it comes: the open file stays
open until the garbage collector finds it, and a descriptor opened on the way is never
closed at all. ``open_in_thread`` closes what the thread opened for a caller that is gone.

Its file is closed in the caller's thread when the ``async with`` block ends: anyio's own
close goes to a worker thread too, and a task cancelled again before a thread takes that
call (a stopped run's clean-up) skips it, leaving the file open.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO

import anyio
from anyio import AsyncFile


class _Opening:
    """One file being opened: who gets it, the caller or (the caller gone) ``close``."""

    def __init__(self, opener: Callable[[], IO[bytes]]) -> None:
        self._opener = opener
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._abandoned = False

    def open(self) -> None:  # in the worker thread
        file = self._opener()
        with self._lock:
            if self._abandoned:
                file.close()
            else:
                self._file = file

    def abandon(self) -> None:  # the caller is gone: close what was, or will be, opened
        with self._lock:
            self._abandoned = True
            file, self._file = self._file, None
        if file is not None:
            file.close()

    def take(self) -> IO[bytes]:
        assert self._file is not None
        return self._file


class OpenedFile:
    """A file ``open_in_thread`` opened: ``async with`` it for an ``AsyncFile`` (reads and
    writes in worker threads); the file is closed when the block ends, without an await
    a cancellation could cut short (closing a file costs a system call or a small flush)."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    async def __aenter__(self) -> AsyncFile[bytes]:
        return anyio.wrap_file(self._file)

    async def __aexit__(self, *_: object) -> None:
        self._file.close()


async def open_in_thread(opener: Callable[[], IO[bytes]]) -> OpenedFile:
    """``opener()`` (blocking) in a worker thread. A caller cancelled meanwhile leaves
    nothing open: the file is closed as soon as the thread has opened it. Errors of
    ``opener`` (``FileNotFoundError``) pass."""
    opening = _Opening(opener)
    try:
        await anyio.to_thread.run_sync(opening.open)
    except BaseException:
        opening.abandon()
        raise
    return OpenedFile(opening.take())
