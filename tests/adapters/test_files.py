"""A document's file is closed when the run is stopped while the file opens.

Found when the sync tests moved in process (CI, ``test_seams[kill-document]``): a run killed
in the documents stage left an ``_io.BufferedReader`` open until the garbage collector found
it (a ResourceWarning). ``anyio.open_file`` opens in a worker thread, and a cancellation that
arrives meanwhile drops the thread's result, open file and all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any

import anyio
import pytest

from app.adapters import document_contents
from app.adapters.document_contents import IxhausDocumentFiles
from app.adapters.files import open_in_thread
from app.domain.portal import PortalDocument


class BlockingOpener:
    """Opens ``path`` in the worker thread once released; keeps what it opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = threading.Event()
        self.release = threading.Event()
        self.opened: list[IO[bytes]] = []

    def __call__(self, *_: object) -> IO[bytes]:
        self.started.set()
        assert self.release.wait(30)
        file = self.path.open("rb")
        self.opened.append(file)
        return file

    async def closed_in_time(self) -> bool:
        """Whether the file opened is closed within 30 s (after the opener returned it)."""
        for _ in range(3000):
            if self.opened and self.opened[0].closed:
                return True
            await asyncio.sleep(0.01)
        return False


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "contract.pdf"
    path.write_bytes(b"%PDF-1.7")
    return path


async def cancel_while_opening(
    opener: BlockingOpener, reading: Callable[[], Coroutine[Any, Any, object]]
) -> None:
    task = asyncio.create_task(reading())
    assert await asyncio.to_thread(opener.started.wait, 30)
    task.cancel()  # the run is stopped while the worker thread opens the file
    with pytest.raises(asyncio.CancelledError):
        await task
    opener.release.set()  # the thread opens the file only now, for a caller that is gone


async def test_a_file_opened_for_a_cancelled_caller_is_closed(pdf: Path) -> None:
    opener = BlockingOpener(pdf)

    async def read() -> bytes:
        async with await open_in_thread(opener) as handle:
            return await handle.read()

    await cancel_while_opening(opener, read)
    assert await opener.closed_in_time()
    assert len(opener.opened) == 1


async def test_a_file_opened_in_a_thread_reads_and_closes_with_its_block(pdf: Path) -> None:
    async with await open_in_thread(lambda: pdf.open("rb")) as handle:
        assert await handle.read() == b"%PDF-1.7"
    assert handle.closed
    with pytest.raises(FileNotFoundError):
        await open_in_thread(lambda: (pdf.parent / "missing.pdf").open("rb"))


async def test_a_document_upload_stopped_while_its_file_opens_leaves_no_file_open(
    pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule D1: documents from iX-Haus's document store, read below the document root
    opener = BlockingOpener(pdf)
    monkeypatch.setattr(document_contents, "_open_no_follow", opener)
    files = IxhausDocumentFiles(pdf.parent)
    document = PortalDocument(
        id=1,
        name="Mietvertrag",
        document_type="Mietvertrag",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        content_location=pdf.name,
    )

    async def read() -> list[bytes]:
        return [chunk async for chunk in files.chunks(document)]

    await cancel_while_opening(opener, read)
    assert await opener.closed_in_time()
    assert len(opener.opened) == 1


async def test_a_file_is_closed_when_its_block_is_cancelled_twice(pdf: Path) -> None:
    # Seen under load in test_seams[kill-document]: a stopped run's clean-up was cancelled
    # again while anyio's close waited for a worker thread, and the close never ran.
    opened = await open_in_thread(lambda: pdf.open("rb"))
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens, limiter.total_tokens = limiter.total_tokens, 1
    release, entered = threading.Event(), asyncio.Event()
    busy = asyncio.create_task(anyio.to_thread.run_sync(release.wait))  # the only thread
    handles: list[anyio.AsyncFile[bytes]] = []

    async def upload() -> None:
        async with opened as handle:
            handles.append(handle)
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(upload())
    try:
        await entered.wait()
        task.cancel()  # the run is stopped ...
        for _ in range(5):
            await asyncio.sleep(0)
        task.cancel()  # ... and its clean-up is cancelled too
        with pytest.raises(asyncio.CancelledError):
            await task
        assert handles[0].wrapped.closed
    finally:
        release.set()
        await busy
        limiter.total_tokens = tokens
