"""Where a document's bytes come from: iX-Haus's document store (files) or DocuWare.

The location in the record says which: ``docuware://<cabinet>/<id>`` is a DocuWare
document, anything else is a path in iX-Haus's document store (``ixhaus://multimedia/...``
or a plain relative path) below the configured document root. Content is always streamed in
chunks, never read whole; every ``chunks`` call opens the source afresh (a retry after an
interrupted transfer starts again from the first byte).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from typing import IO

import anyio

from app.adapters.docuware.client import DocuwareClient
from app.adapters.docuware.errors import DocuwareProtocolError
from app.adapters.files import open_in_thread
from app.domain.portal import PortalDocument
from app.errors import SyncNotPossible

DOCUWARE_SCHEME = "docuware://"
IXHAUS_SCHEME = "ixhaus://"
CHUNK_BYTES = 256 * 1024


def docuware_location(cabinet_id: str, document_id: int) -> str:
    return f"{DOCUWARE_SCHEME}{cabinet_id}/{document_id}"


def parse_docuware_location(location: str) -> tuple[str, int]:
    cabinet, _, document = location.removeprefix(DOCUWARE_SCHEME).rpartition("/")
    if not cabinet or not document.isdigit():
        raise ValueError(f"not a DocuWare location: {location!r}")
    return cabinet, int(document)


class DocumentStoreUnavailable(SyncNotPossible):
    code = "document-store-unavailable"
    title = "Document content cannot be read"


class IxhausDocumentFiles:
    """iX-Haus's document store as a directory (e.g. the mounted Multimedia share).

    No file outside the root is ever read (issue 23 item 3): a location is resolved with
    ``realpath`` (every symlink followed) and refused unless it lies below the root (itself
    resolved once), and the file is then opened without following a final symlink, so a link
    put in place after the check cannot lead outside either.
    """

    def __init__(self, root: Path | None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._root = Path(os.path.realpath(root)) if root is not None else None
        self._chunk = chunk_bytes

    def path(self, location: str | None) -> Path:
        """The resolved path of ``location`` below the root (the file need not exist)."""
        if self._root is None:
            raise DocumentStoreUnavailable("no iX-Haus document root is configured")
        if not location:
            raise DocumentStoreUnavailable("the document has no content location")
        relative = PurePosixPath(location.removeprefix(IXHAUS_SCHEME).replace("\\", "/"))
        # A location must never steer a read outside the document root.
        if relative.is_absolute() or ".." in relative.parts or "\x00" in location:
            raise DocumentStoreUnavailable("the content location leaves the document root")
        try:
            resolved = Path(os.path.realpath(self._root.joinpath(*relative.parts), strict=False))
        except (OSError, ValueError):
            raise DocumentStoreUnavailable("the content location cannot be resolved") from None
        if not resolved.is_relative_to(self._root) or resolved == self._root:
            raise DocumentStoreUnavailable("the content location leaves the document root")
        return resolved

    async def size(self, document: PortalDocument) -> int:
        path = self.path(document.content_location)
        try:
            return (await anyio.Path(path).stat()).st_size
        except FileNotFoundError:
            raise DocumentStoreUnavailable("the document's file is missing") from None
        except OSError as exc:
            raise DocumentStoreUnavailable(
                f"the document's file cannot be read ({exc.errno})"
            ) from None

    async def chunks(self, document: PortalDocument) -> AsyncIterator[bytes]:
        path = self.path(document.content_location)
        try:
            file = await open_in_thread(lambda: _open_no_follow(path))
        except FileNotFoundError:
            raise DocumentStoreUnavailable("the document's file is missing") from None
        except OSError as exc:
            raise DocumentStoreUnavailable(
                f"the document's file cannot be read ({exc.errno})"
            ) from None
        async with file as handle:
            while chunk := await handle.read(self._chunk):
                yield chunk


def _open_no_follow(path: Path) -> IO[bytes]:
    """``path`` opened to read; ELOOP when its last part became a symlink."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


class DocuwareContents:
    """A DocuWare document's ``FileDownload``, piped through chunk by chunk."""

    def __init__(self, client: DocuwareClient) -> None:
        self._client = client

    async def size(self, document: PortalDocument) -> int:
        return document.size_bytes  # ``FileSize`` of the search; the download must agree

    async def chunks(self, document: PortalDocument) -> AsyncIterator[bytes]:
        cabinet, document_id = parse_docuware_location(document.content_location or "")
        async with self._client.open_download(cabinet, document_id) as download:
            if download.size is not None and download.size != document.size_bytes:
                raise DocuwareProtocolError(
                    f"download has {download.size} bytes, the search said {document.size_bytes}"
                )
            async for chunk in download.chunks():
                yield chunk


class SourceContents:
    """``sync.ports.DocumentContents`` over both sources, chosen by the location."""

    def __init__(self, files: IxhausDocumentFiles, docuware: DocuwareContents | None) -> None:
        self._files = files
        self._docuware = docuware

    def _source(self, document: PortalDocument) -> IxhausDocumentFiles | DocuwareContents:
        if (document.content_location or "").startswith(DOCUWARE_SCHEME):
            if self._docuware is None:
                raise DocumentStoreUnavailable("DocuWare is not configured or switched off")
            return self._docuware
        return self._files

    async def size(self, document: PortalDocument) -> int:
        return await self._source(document).size(document)

    def chunks(self, document: PortalDocument) -> AsyncIterator[bytes]:
        return self._source(document).chunks(document)
