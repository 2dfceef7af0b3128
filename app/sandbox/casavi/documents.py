"""Simulated contract: documents. Uploads are parsed as a stream and written to disk, so a
100 MB upload never sits in the simulator's memory either."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
from litestar import Response, delete, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Stream

from app.adapters.casavi import wire_tickets as tw
from app.sandbox.casavi.common import (
    AnyRequest,
    SimError,
    error_response,
    json_response,
    page_response,
    query_opt,
    ref,
    require,
    sim_of,
    to_record,
)
from app.sandbox.casavi.state import Simulator
from app.sandbox.casavi.store import Duplicate, Record, now_utc
from app.sandbox.casavi.tickets import change_ticket

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_NAME = re.compile(rb'name="([^"]*)"')


class _Reader:
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.buffer = bytearray()

    async def more(self) -> bool:
        async for chunk in self._chunks:
            if chunk:
                self.buffer.extend(chunk)
                return True
        return False

    async def until(self, marker: bytes, limit: int) -> bytes:
        while (index := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit or not await self.more():
                raise SimError(400, "malformed multipart body")
        taken = bytes(self.buffer[:index])
        del self.buffer[: index + len(marker)]
        return taken


async def receive_upload(request: AnyRequest, target: Path, limit: int) -> tuple[bytes, int, str]:
    """Parse parts ``metadata`` then ``file``; stream the file to ``target``."""
    match = _BOUNDARY.search(request.headers.get("content-type", ""))
    if not request.headers.get("content-type", "").startswith("multipart/form-data") or not match:
        raise SimError(400, "expected multipart/form-data with a boundary")
    delimiter = b"--" + match.group(1).encode()
    reader = _Reader(request.stream().__aiter__())
    await reader.until(delimiter + b"\r\n", 1024)
    names = []
    headers = await reader.until(b"\r\n\r\n", 8192)
    names.append(_NAME.search(headers))
    metadata = await reader.until(b"\r\n" + delimiter + b"\r\n", 1 << 20)
    headers = await reader.until(b"\r\n\r\n", 8192)
    names.append(_NAME.search(headers))
    if [m.group(1) if m else None for m in names] != [b"metadata", b"file"]:
        raise SimError(422, "parts must be 'metadata' then 'file'")
    closing = b"\r\n" + delimiter + b"--"
    digest = hashlib.sha256()
    size = 0
    async with await anyio.open_file(target, "wb") as handle:
        while True:
            index = reader.buffer.find(closing)
            cut = index if index >= 0 else len(reader.buffer) - len(closing) + 1
            if cut > 0:
                piece = bytes(reader.buffer[:cut])
                del reader.buffer[:cut]
                size += len(piece)
                if size > limit:
                    raise SimError(413, f"file larger than {limit} bytes")
                digest.update(piece)
                await handle.write(piece)
            if index >= 0:
                break
            if not await reader.more():
                raise SimError(400, "multipart body ends before the closing boundary")
    return metadata, size, digest.hexdigest()


def store_document(
    sim: Simulator, meta: tw.DocumentWrite, size: int, sha256: str, uploaded_by: str
) -> Record:
    for field, kind in (
        ("propertyId", "properties"),
        ("unitId", "units"),
        ("contactId", "contacts"),
        ("ticketId", "tickets"),
    ):
        require(sim, kind, msgspec.to_builtins(meta).get(field), field)
    stamp = now_utc()
    record = sim.store.insert(
        "documents",
        meta.id,
        lambda i: to_record(
            meta,
            tw.Document,
            internalId=i,
            size=size,
            sha256=sha256,
            createdAt=stamp,
            downloads=0,
            uploadedBy=uploaded_by,
        ),
    )
    if meta.ticket_id is not None:  # a new attachment is news on the ticket
        change_ticket(sim, meta.ticket_id, {}, stamp)
    return record


def file_of(sim: Simulator, record: Record) -> Path:
    return sim.store.files / str(record["internalId"])


@post("/v2/documents", status_code=201, request_max_body_size=None)
async def upload_document(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    spool = sim.store.files / f"upload-{id(request)}.part"
    try:
        raw, size, sha256 = await receive_upload(request, spool, sim.max_upload_bytes)
        try:
            meta = msgspec.json.decode(raw, type=tw.DocumentWrite)
        except msgspec.DecodeError as exc:
            raise SimError(422, f"invalid metadata: {exc}") from None
        try:
            record = store_document(sim, meta, size, sha256, "manager")
        except Duplicate:
            return error_response(409, f"document {meta.id!r} exists")
        await anyio.Path(spool).rename(file_of(sim, record))
        return json_response(record, 201)
    finally:
        await anyio.Path(spool).unlink(missing_ok=True)


@get("/v2/documents/{documentId:str}")
async def get_document(request: AnyRequest) -> Response[bytes]:
    record = sim_of(request).store.get("documents", ref(request.path_params["documentId"]))
    return error_response(404, "not found") if record is None else json_response(record)


@get("/v2/documents/{documentId:str}/file")
async def download_document(request: AnyRequest) -> Response[Any]:
    sim = sim_of(request)
    document_id = ref(request.path_params["documentId"])
    record = sim.store.get("documents", document_id)
    if record is None:
        return error_response(404, "not found")
    sim.store.put("documents", document_id, {**record, "downloads": record["downloads"] + 1})
    path = file_of(sim, record)

    async def chunks() -> AsyncIterator[bytes]:
        async with await anyio.open_file(path, "rb") as handle:
            while chunk := await handle.read(256 * 1024):
                yield chunk

    return Stream(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Length": str(record["size"])},
    )


@delete("/v2/documents/{documentId:str}", status_code=204)
async def delete_document(request: AnyRequest) -> Response[None]:
    sim = sim_of(request)
    document_id = ref(request.path_params["documentId"])
    record = sim.store.get("documents", document_id)
    if record is None or not sim.store.delete("documents", document_id):
        raise SimError(404, "not found")
    await anyio.Path(file_of(sim, record)).unlink(missing_ok=True)
    return Response(content=None, status_code=204)


@get("/v2/tickets/{ticketId:str}/attachments", opt=query_opt(paging=True))
async def list_attachments(request: AnyRequest) -> Response[bytes]:
    ticket_id = ref(request.path_params["ticketId"])
    if sim_of(request).store.get("tickets", ticket_id) is None:
        return error_response(404, "ticket not found")
    where = (("json_extract(data, '$.ticketId') = ?", (ticket_id,)),)
    return page_response(request, "documents", where=where)


def document_handlers() -> list[HTTPRouteHandler]:
    return [upload_document, get_document, download_document, delete_document, list_attachments]
