"""``CasaviDocuments``: the ``sync.ports.DocumentPortal`` of casavi (rules D1-D6).

A document goes up as one streamed multipart upload under our reference id; casavi has no
document update, so a changed document is deleted and uploaded again. A transfer that breaks
off (the source's connection, a file read) is retried from the first byte, but only after
looking the reference id up: casavi stores a document only when the whole body arrived, and
the lookup makes sure a retry never produces a duplicate.
"""

from __future__ import annotations

import asyncio
import logging

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.documents import DOCUMENTS, ContentSizeMismatch
from app.adapters.casavi.errors import CasaviConflict, CasaviProtocolError
from app.adapters.casavi.wire_tickets import DocumentWrite
from app.adapters.docuware.errors import DocuwareUnavailable
from app.domain.keys import RecordKey
from app.domain.portal import PortalDocument
from app.sync.ports import DocumentContents

log = logging.getLogger(__name__)

# Source failures after which the transfer starts again: the DocuWare download broke off or
# DocuWare was briefly unavailable, a file read failed, fewer bytes came than announced.
INTERRUPTED = (DocuwareUnavailable, OSError, ContentSizeMismatch)
# Three tries, 0.5 s then 1 s apart; after the last the document is an error of this run
# (protocol, L3) and the next run tries again.
TRANSFER_TRIES = 3
TRANSFER_BACKOFF_SECONDS = 0.5


def _file_name(record: PortalDocument) -> str:
    name = record.name.replace("/", "_").replace("\\", "_").strip() or f"document-{record.id}"
    return name


def to_document_write(ref: str, record: PortalDocument) -> DocumentWrite:
    """D3: name, type (or class), creation date; the most specific target (D6: a ticket)."""
    return DocumentWrite(
        id=ref,
        name=record.name,
        file_name=_file_name(record),
        content_type=record.content_type,
        document_type_id=record.document_type[:100] or None,
        property_id=record.object_no,
        contact_id=record.person_no if record.ticket_no is None else None,
        ticket_id=str(record.ticket_no) if record.ticket_no is not None else None,
        document_date=record.created_at,
    )


class CasaviDocuments:
    def __init__(
        self,
        client: CasaviClient,
        *,
        tries: int = TRANSFER_TRIES,
        backoff: float = TRANSFER_BACKOFF_SECONDS,
    ) -> None:
        self._documents = client.documents
        self._tries = tries
        self._backoff = backoff

    async def put_document(
        self, key: RecordKey, record: PortalDocument, contents: DocumentContents, *, exists: bool
    ) -> str:
        ref = key.reference_id
        metadata = to_document_write(ref, record)
        if exists:
            await self._documents.delete(ref)  # no update in casavi: replace the document

        for attempt in range(1, self._tries + 1):
            try:
                size = await contents.size(record)
                try:
                    stored = await self._documents.upload_stream(
                        metadata, lambda: contents.chunks(record), size
                    )
                except CasaviConflict:
                    # casavi has it although our ledger did not know: replace it.
                    await self._documents.delete(ref)
                    stored = await self._documents.upload_stream(
                        metadata, lambda: contents.chunks(record), size
                    )
            except INTERRUPTED as exc:
                log.warning("document %s: transfer broke off (%s)", ref, type(exc).__name__)
                # Look up before re-creating: a complete body may have been stored.
                if await self._documents.find(ref) is not None:
                    return ref
                if attempt >= self._tries:
                    raise
                await asyncio.sleep(self._backoff * attempt)
                continue
            if stored.size != size:
                raise CasaviProtocolError(
                    f"casavi stored {stored.size} bytes of {size}", method="POST", path=DOCUMENTS
                )
            return ref
        raise AssertionError("unreachable")

    async def remove_document(self, key: RecordKey) -> None:
        await self._documents.delete(key.reference_id)
