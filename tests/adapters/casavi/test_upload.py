"""Documents: a 100 MB streamed upload in bounded memory, limits, download, delete."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.adapters.casavi import CasaviClient, DocumentTooLarge
from app.adapters.casavi.documents import MultipartUpload
from app.adapters.casavi.wire import PropertyWrite
from app.adapters.casavi.wire_tickets import DocumentWrite, TicketCreate, TicketTypeWrite
from tests.support.casavi import SimHandle

MB = 1024 * 1024


def sparse_file(path: Path, size: int, tail: bytes = b"end") -> Path:
    with path.open("wb") as handle:
        handle.truncate(size - len(tail))
        handle.seek(size - len(tail))
        handle.write(tail)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


async def test_100_mb_upload_streams_in_bounded_memory(
    client: CasaviClient, simulator: SimHandle, tmp_path: Path
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    source = sparse_file(tmp_path / "plan.pdf", 100 * MB)
    metadata = DocumentWrite(
        id="D-1",
        name="Grundriss",
        file_name="plan.pdf",
        content_type="application/pdf",
        property_id="P-1",
    )
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        document = await client.documents.upload(metadata, source)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    # Client and simulator share this process, so this bounds both.
    assert peak < 50 * MB, f"peak growth {peak / MB:.1f} MB"
    assert document.size == 100 * MB
    assert document.sha256 == sha256_of(source)
    stored = simulator.state.store.files / str(document.internal_id)
    assert stored.stat().st_size == 100 * MB


async def test_file_above_the_limit_is_not_sent(
    client: CasaviClient, simulator: SimHandle, tmp_path: Path
) -> None:
    source = sparse_file(tmp_path / "huge.bin", 100 * MB + 1)
    with pytest.raises(DocumentTooLarge):
        await client.documents.upload(DocumentWrite(id="D-1", name="x", file_name="x"), source)
    assert (await simulator.stats())["requests"] == 0


async def test_ticket_attachment_download_and_delete(client: CasaviClient, tmp_path: Path) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    await client.ticket_types.create(TicketTypeWrite(id="TT-1", name="Schaden"))
    await client.tickets.create(
        TicketCreate(id="T-1", ticket_type_id="TT-1", subject="Fenster", property_id="P-1")
    )
    source = tmp_path / 'foto "1".jpg'
    source.write_bytes(b"\xff\xd8" + bytes(range(256)) * 100)
    meta = DocumentWrite(
        id="D/7", name="Foto", file_name=source.name, content_type="image/jpeg", ticket_id="T-1"
    )
    uploaded = await client.documents.upload(meta, source)
    assert uploaded.ticket_id == "T-1"
    assert [d.id async for d in client.tickets.attachments("T-1")] == ["D/7"]
    target = tmp_path / "back.jpg"
    assert await client.documents.download("D/7", target) == source.stat().st_size
    assert target.read_bytes() == source.read_bytes()
    assert (await client.documents.get("D/7")).downloads == 1
    assert await client.documents.delete("D/7") is True
    assert await client.documents.delete("D/7") is False
    assert await client.documents.find("D/7") is None


async def test_lost_upload_response_is_looked_up_not_resent(
    client: CasaviClient, simulator: SimHandle, tmp_path: Path
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    source = sparse_file(tmp_path / "a.pdf", 3 * MB)
    await simulator.faults(lose_responses=1)
    document = await client.documents.upload(
        DocumentWrite(id="D-1", name="A", file_name="a.pdf"), source
    )
    assert document.size == 3 * MB
    assert simulator.state.store.count("documents") == 1
    assert await simulator.route_count("POST /v2/documents") == 1


async def test_an_upload_cut_short_closes_its_file_at_once() -> None:
    # The body of a cancelled upload (a run stopped at its time limit) is closed by the HTTP
    # engine; its source - a file, a DocuWare download - goes with it.
    closed: list[bool] = []

    async def source() -> AsyncIterator[bytes]:
        try:
            for _ in range(10):
                yield b"x" * 1024
        finally:
            closed.append(True)

    upload = MultipartUpload(DocumentWrite(id="D-1", name="x", file_name="x"), source, 10240)
    body = upload.stream()
    await anext(body)  # the head
    await anext(body)  # one chunk of the file
    await body.aclose()
    assert closed == [True]
