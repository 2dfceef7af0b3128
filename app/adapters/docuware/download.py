"""A streamed ``FileDownload``: size and type from the headers, the body in chunks.

A connection that breaks mid-body raises ``DownloadInterrupted`` (a ``DocuwareUnavailable``):
the caller drops what it has and downloads again; nothing is retried inside the stream,
because half a file must never be passed on as a whole one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx

from app.adapters.docuware.errors import DownloadInterrupted
from app.adapters.http.engine import path_of

_FILENAME = re.compile(r'filename="?([^";]+)"?')


class Download:
    def __init__(self, response: httpx.Response, chunk_bytes: int) -> None:
        self._response = response
        self._chunk_bytes = chunk_bytes
        self.received = 0

    @property
    def size(self) -> int | None:
        length = self._response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None

    @property
    def content_type(self) -> str:
        value = str(self._response.headers.get("Content-Type", "application/octet-stream"))
        return value.split(";", 1)[0].strip()

    @property
    def file_name(self) -> str | None:
        match = _FILENAME.search(self._response.headers.get("Content-Disposition", ""))
        # Keep only the last path segment: a name must never steer where a file is written.
        return re.split(r"[\\/]", match.group(1))[-1] if match else None

    async def chunks(self) -> AsyncIterator[bytes]:
        request = self._response.request
        try:
            async for chunk in self._response.aiter_bytes(self._chunk_bytes):
                self.received += len(chunk)
                yield chunk
        except httpx.TransportError as exc:
            raise DownloadInterrupted(
                f"connection broke after {self.received} bytes ({type(exc).__name__})",
                method=request.method,
                path=path_of(request.url),
                http_status=self._response.status_code,
            ) from exc
