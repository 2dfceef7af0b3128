"""``CasaviDocuments``: the ``sync.ports.DocumentPortal`` of casavi (rules D1-D6).

A document goes up as one streamed multipart upload under its reference id; every id it
names (property, contact, ticket) comes from the identity map. casavi has no document update:
a document changed in iX-Haus is deleted and uploaded again - but one casavi holds already
(sent before a crash or a time limit let the ledger record it, a 409, a gateway whose state
was lost) is looked at first and adopted when it is the same (name, type, targets, size), so
nothing is uploaded twice. A transfer that breaks off (the source's connection, a file read)
is retried from the first byte, but only after looking the reference id up: casavi stores a
document only when the whole body arrived.
"""

from __future__ import annotations

import asyncio
import logging

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.documents import DOCUMENTS, ContentSizeMismatch
from app.adapters.casavi.errors import CasaviConflict, CasaviProtocolError
from app.adapters.casavi.wire_tickets import Document, DocumentWrite
from app.adapters.docuware.errors import DocuwareUnavailable
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalDocument
from app.sync.ports import DocumentContents, PortalWrite, Presence

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


def to_document_write(ref: str, record: PortalDocument, ids: IdentityMap) -> DocumentWrite:
    """D3: name, type (or class), creation date; the most specific target (D6: a ticket)."""
    ticket = None if record.ticket_no is None else RecordKey.ticket(record.ticket_no)
    person = None if record.person_no is None else RecordKey.person(record.person_no)
    obj = None if record.object_no is None else RecordKey.of(EntityKind.OBJECT, record.object_no)
    return DocumentWrite(
        id=ref,
        name=record.name,
        file_name=_file_name(record),
        content_type=record.content_type,
        document_type_id=record.document_type[:100] or None,
        property_id=None if obj is None else ids.parent(obj),
        contact_id=None if person is None or ticket is not None else ids.parent(person),
        ticket_id=None if ticket is None else ids.parent(ticket),
        document_date=record.created_at,
    )


def _same(found: Document, metadata: DocumentWrite, size: int) -> bool:
    """casavi holds what the gateway would upload: the same metadata and size."""
    return found.size == size and all(
        getattr(found, name) == getattr(metadata, name) for name in DocumentWrite.__struct_fields__
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

    def prepare_document(
        self,
        key: RecordKey,
        record: PortalDocument,
        contents: DocumentContents,
        ids: IdentityMap,
    ) -> PortalWrite:
        metadata = to_document_write(ids.casavi_id(key), record, ids)

        async def write(presence: Presence) -> str:
            return await self._put(metadata, record, contents, presence)

        return write

    async def _put(
        self,
        metadata: DocumentWrite,
        record: PortalDocument,
        contents: DocumentContents,
        presence: Presence,
    ) -> str:
        ref = metadata.id
        size = await contents.size(record)
        if presence == "held":
            await self._documents.delete(ref)  # changed in iX-Haus: no update in casavi
        elif presence == "unknown" and await self._adopted(metadata, size):
            return ref
        for attempt in range(1, self._tries + 1):
            try:
                try:
                    stored = await self._documents.upload_stream(
                        metadata, lambda: contents.chunks(record), size
                    )
                except CasaviConflict:
                    # casavi has it although the ledger did not know: the same is adopted,
                    # another is replaced.
                    if await self._adopted(metadata, size):
                        return ref
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
                size = await contents.size(record)
                continue
            if stored.size != size:
                raise CasaviProtocolError(
                    f"casavi stored {stored.size} bytes of {size}", method="POST", path=DOCUMENTS
                )
            return ref
        raise AssertionError("unreachable")

    async def _adopted(self, metadata: DocumentWrite, size: int) -> bool:
        """casavi holds this document as the gateway would upload it (nothing to send)."""
        found = await self._documents.find(metadata.id)
        if found is None:
            return False
        if _same(found, metadata, size):
            return True
        await self._documents.delete(metadata.id)  # another content or target: replaced
        return False

    async def remove_document(self, key: RecordKey, *, ids: IdentityMap) -> None:
        await self._documents.delete(ids.casavi_id(key))
