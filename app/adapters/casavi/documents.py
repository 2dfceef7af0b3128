"""Documents: streamed multipart upload, metadata, download and delete.

An upload of up to 100 MB (rule D5) never sits in memory: the multipart body is an async
generator that yields the small ``metadata`` part, then the file in chunks as its source
gives them (a file on disk, a DocuWare download), then the closing boundary; its length is
computed up front so casavi gets a ``Content-Length``. A retry re-opens the source and
streams it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import anyio
import msgspec

from app.adapters.casavi.errors import (
    CasaviDeadlineExceeded,
    CasaviError,
    DocumentTooLarge,
    NotInContract,
)
from app.adapters.casavi.http import CasaviHttp
from app.adapters.casavi.resources import Resource, create_once, ref_path
from app.adapters.casavi.routes import NOUNS
from app.adapters.casavi.wire_tickets import Document, DocumentWrite
from app.adapters.files import open_in_thread

DOCUMENTS = "/v2/documents"  # the contract's path (``CasaviRoutes.documents`` is used)


def _header_value(text: str) -> str:
    return text.replace("\\", "_").replace('"', "_").replace("\r", "_").replace("\n", "_")


ChunkSource = Callable[[], AsyncIterator[bytes]]
OwnWrite = Callable[[str, datetime], None]


class ContentSizeMismatch(CasaviError):
    """The source gave a different number of bytes than announced: the upload was aborted
    before its end, so casavi stores nothing."""

    code = "casavi-document-size-mismatch"
    title = "Document content did not match its announced size"


def file_chunks(path: Path, chunk_bytes: int) -> ChunkSource:
    async def chunks() -> AsyncIterator[bytes]:
        async with await open_in_thread(lambda: path.open("rb")) as handle:
            while chunk := await handle.read(chunk_bytes):
                yield chunk

    return chunks


class MultipartUpload:
    """The body of ``POST /v2/documents``: parts ``metadata`` (JSON) and ``file``.

    ``source`` gives a fresh stream of the file's bytes on every call (a retry sends again);
    ``size`` is announced up front (``Content-Length``) and checked as the bytes pass: a
    source that gives more or fewer raises ``ContentSizeMismatch`` before the closing
    boundary, so casavi never stores a truncated file.
    """

    def __init__(self, metadata: DocumentWrite, source: ChunkSource, size: int) -> None:
        self.boundary = secrets.token_hex(16)
        self._source = source
        self._size = size
        self._head = (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="metadata"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode() + msgspec.json.encode(metadata)
        self._head += (
            f"\r\n--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="file"; '
            f'filename="{_header_value(metadata.file_name)}"\r\n'
            f"Content-Type: {_header_value(metadata.content_type)}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(self._head) + size + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.length),
        }

    async def stream(self) -> AsyncGenerator[bytes, None]:
        sent = 0
        yield self._head
        chunks = self._source()
        try:
            async for chunk in chunks:
                sent += len(chunk)
                if sent > self._size:
                    break
                yield chunk
        finally:
            # Closed with this stream: an upload cut short closes its source (a file) at
            # once, not when the garbage collector finds the source's generator.
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        if sent != self._size:
            raise ContentSizeMismatch(
                f"content gave {'more than ' if sent > self._size else ''}{sent} bytes, "
                f"{self._size} announced",
                method="POST",
                path=DOCUMENTS,
            )
        yield self._tail


class Documents(Resource[Document, DocumentWrite]):
    def __init__(self, http: CasaviHttp, saw: OwnWrite | None = None) -> None:
        super().__init__(http, http.config.routes.documents, Document, NOUNS["documents"])
        # Told the ticket's new modifiedAt when an upload attaches a document to a ticket.
        self._saw = saw

    async def create(self, item: DocumentWrite) -> Document:
        raise NotInContract("documents need their file: use upload()")

    async def update(self, item: DocumentWrite) -> Document:
        raise NotInContract("the contract has no document update; delete and upload")

    async def upload(self, metadata: DocumentWrite, path: Path) -> Document:
        """Upload ``path`` under ``metadata.id`` at most once; ``ticketId`` makes it an
        attachment of that ticket."""
        size = (await anyio.Path(path).stat()).st_size
        chunks = file_chunks(path, self._http.config.upload_chunk_bytes)
        return await self.upload_stream(metadata, chunks, size)

    async def upload_stream(
        self, metadata: DocumentWrite, source: ChunkSource, size: int
    ) -> Document:
        """Upload ``size`` bytes from ``source`` (called afresh for every try, e.g. a new
        DocuWare download) under ``metadata.id`` at most once; nothing is held in memory."""
        config = self._http.config
        if size > config.max_document_bytes:
            raise DocumentTooLarge(
                f"{size} bytes is above the limit of {config.max_document_bytes}",
                method="POST",
                path=DOCUMENTS,
            )
        upload = MultipartUpload(metadata, source, size)
        stored = await create_once(
            self._http,
            self._path,
            Document,
            lambda: self.find(metadata.id),
            body=upload.stream,
            headers=upload.headers,
            deadline=config.upload_deadline_seconds,
            operation="uploadDocument",
        )
        if stored.ticket_id and self._saw is not None:
            # The ticket's modifiedAt becomes the attachment's createdAt (contract).
            self._saw(stored.ticket_id, stored.created_at)
        return stored

    @contextlib.asynccontextmanager
    async def stream(self, ref: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """The document's bytes as they arrive, never all in memory::

            async with client.documents.stream(ref) as chunks:
                async for chunk in chunks: ...

        The request is made on entry (errors such as ``CasaviNotFound`` raise there); the
        whole transfer, not only the answer's headers, runs under the upload deadline.
        """
        config = self._http.config
        path = ref_path(self._path, ref, config.routes.document_file)
        try:
            async with asyncio.timeout(config.upload_deadline_seconds):
                response = await self._http.request(
                    "GET",
                    path,
                    headers={"Accept": "application/octet-stream"},
                    stream=True,
                    deadline=config.upload_deadline_seconds,
                )
                try:
                    yield response.aiter_bytes(config.upload_chunk_bytes)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise CasaviDeadlineExceeded(
                f"download not finished within {config.upload_deadline_seconds:g}s",
                method="GET",
                path=path,
            ) from None

    async def download(self, ref: str, target: Path) -> int:
        """Stream the document's bytes into ``target``; returns the number of bytes."""
        written = 0
        async with (
            self.stream(ref) as chunks,
            await open_in_thread(lambda: target.open("wb")) as handle,
        ):
            async for chunk in chunks:
                await handle.write(chunk)
                written += len(chunk)
        return written
