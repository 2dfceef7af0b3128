"""The sandbox's iX-Haus document store: a directory with one file per document.

The sandbox's document table records sizes and locations (``ixhaus://multimedia/<id>.pdf``)
but no content. ``write_document_files`` creates the files below a root directory as sparse
files of the recorded size (a 150 MB document costs no disk space), each starting with its
own header so no two documents have the same content. Point the configuration's
``ixhaus.documentRoot`` at the root.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from app.adapters.document_contents import IxhausDocumentFiles
from app.domain.records import DocumentRecord


def header_for(document_id: int) -> bytes:
    return f"%PDF-1.4\n% iX-Haus sandbox document {document_id}\n".encode()


async def write_document_files(root: Path, documents: AsyncIterator[DocumentRecord]) -> int:
    """Create every document's file below ``root``; returns how many were written."""
    files = IxhausDocumentFiles(root)
    written = 0
    async for document in documents:
        if not document.content_location:
            continue
        path = files.path(document.content_location)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            head = header_for(document.id)[: document.size_bytes]
            handle.write(head)
            handle.truncate(document.size_bytes)  # the rest stays a hole: zeros on read
        written += 1
    return written


async def write_seeded_documents(url: str, root: Path) -> int:
    """``sandbox seed --documents DIR``: the files of every document of the sandbox at
    ``url`` below ``root`` (sparse: the size iX-Haus records, a readable head)."""
    from app.adapters.ixhaus.reader import IxhausReader
    from app.adapters.ixhaus.schema import IxhausTables
    from app.adapters.store.database import create_engine
    from app.environment import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    try:
        return await write_document_files(root, IxhausReader(engine, IxhausTables()).documents())
    finally:
        await engine.dispose()
