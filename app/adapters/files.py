"""Files opened in a worker thread without losing them to a cancellation.

``anyio.open_file`` opens in a worker thread. A caller cancelled while that thread runs (a
run stopped, a job past its time limit, while an upload opens its file) gets the
cancellation at once, and the thread's result is dropped when it comes: the open file stays
open until the garbage collector finds it, and a descriptor opened on the way is never
closed at all. ``open_in_thread`` closes what the thread opened for a caller that is gone.
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


async def open_in_thread(opener: Callable[[], IO[bytes]]) -> AsyncFile[bytes]:
    """``opener()`` (blocking) in a worker thread, as an async file. A caller cancelled
    meanwhile leaves nothing open: the file is closed as soon as the thread has opened it.
    Errors of ``opener`` (``FileNotFoundError``) pass."""
    opening = _Opening(opener)
    try:
        await anyio.to_thread.run_sync(opening.open)
    except BaseException:
        opening.abandon()
        raise
    return anyio.wrap_file(opening.take())
