"""Streamed downloads: never the whole file in memory; a broken stream is a clear error."""

from __future__ import annotations

import hashlib
import tracemalloc

import pytest

from app.adapters.docuware import DocuwareClient, DocuwareUnavailable, DownloadInterrupted
from app.sandbox.docuware.content import content_digest
from tests.support.docuware import LARGE_ID, LARGE_SIZE, MAIN_CABINET, MB, DwHandle


async def test_a_100_mb_document_streams_in_small_memory(dw_client: DocuwareClient) -> None:
    await dw_client.logon()  # keep the logon's allocations out of the measurement
    digest = hashlib.sha256()
    received = 0
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        async with dw_client.open_download(MAIN_CABINET, LARGE_ID) as download:
            assert download.size == LARGE_SIZE
            assert download.content_type == "application/pdf"
            assert download.file_name == f"{LARGE_ID}.pdf"
            async for chunk in download.chunks():
                received += len(chunk)
                digest.update(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert received == LARGE_SIZE
    assert digest.hexdigest() == content_digest(LARGE_ID, LARGE_SIZE)
    assert peak - baseline < 20 * MB


async def test_a_download_cut_off_mid_body_raises_a_retryable_error(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_simulator.faults(cut_downloads=1, cut_after_bytes=1000)
    received: list[bytes] = []

    async def read_all() -> None:
        async for chunk in dw_client.download(MAIN_CABINET, 5):
            received.append(chunk)

    with pytest.raises(DownloadInterrupted) as caught:
        await read_all()

    error = caught.value
    assert isinstance(error, DocuwareUnavailable)  # the job layer retries these later
    assert sum(map(len, received)) <= 1000
    assert "connection broke after" in str(error)
    assert error.path.endswith("/Documents/5/FileDownload")
    # Downloading again (what a caller does) gives the whole file.
    again = b"".join([chunk async for chunk in dw_client.download(MAIN_CABINET, 5)])
    assert hashlib.sha256(again).hexdigest() == content_digest(5, 4096)


async def test_a_large_download_cut_off_reports_how_far_it_got(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_simulator.faults(cut_downloads=1, cut_after_bytes=5 * MB)

    async def read_all() -> None:
        async for _chunk in dw_client.download(MAIN_CABINET, LARGE_ID):
            pass

    with pytest.raises(DownloadInterrupted) as caught:
        await read_all()

    assert f"after {5 * MB} bytes" in str(caught.value)
    assert (await dw_simulator.stats())["downloads"] == 1  # not retried inside the stream
