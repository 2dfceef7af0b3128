"""In-memory fakes of the document ports (``DocumentPortal``, ``DocumentContents``,
``DocuwareSource``): the documents stage and DocuWare's webhook are unit-tested over these,
beside the fakes of the other ports in ``tests/fakes.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalDocument
from app.sync.ports import DmsDocument, DocumentContents, PortalWrite, Presence


class FakeContents:
    """Document bytes by content location, streamed in small chunks; ``streams`` lists the
    locations read (one entry per stream opened)."""

    def __init__(self, blobs: dict[str, bytes] | None = None, chunk: int = 4) -> None:
        self.blobs = dict(blobs or {})
        self.chunk = chunk
        self.streams: list[str] = []

    def _blob(self, document: PortalDocument) -> tuple[str, bytes]:
        location = document.content_location
        if location is None or location not in self.blobs:
            raise FileNotFoundError(f"no content at {location!r}")
        return location, self.blobs[location]

    async def size(self, document: PortalDocument) -> int:
        return len(self._blob(document)[1])

    async def chunks(self, document: PortalDocument) -> AsyncIterator[bytes]:
        location, blob = self._blob(document)
        self.streams.append(location)
        for start in range(0, len(blob), self.chunk):
            yield blob[start : start + self.chunk]


class FakeDocumentPortal:
    """casavi's documents as a dict of (record, bytes). Like the real one, ``prepare_document``
    resolves the targets a document names (object, person, ticket) through the identity map
    before anything is written, and an upload whose bytes are not the announced size stores
    nothing."""

    def __init__(self) -> None:
        self.documents: dict[RecordKey, tuple[PortalDocument, bytes]] = {}
        self.uploads: list[tuple[RecordKey, Presence]] = []
        self.removes: list[RecordKey] = []

    def prepare_document(
        self,
        key: RecordKey,
        record: PortalDocument,
        contents: DocumentContents,
        ids: IdentityMap,
    ) -> PortalWrite:
        targets = (
            (EntityKind.OBJECT, record.object_no),
            (EntityKind.PERSON, record.person_no),
            (EntityKind.TICKET, record.ticket_no),
        )
        for kind, number in targets:
            if number is not None:
                ids.parent(RecordKey.of(kind, number))
        casavi_id = ids.casavi_id(key)

        async def write(presence: Presence) -> str:
            announced = await contents.size(record)
            body = b"".join([chunk async for chunk in contents.chunks(record)])
            if len(body) != announced:
                raise ValueError(f"{len(body)} bytes instead of the announced {announced}")
            self.documents[key] = (record, body)
            self.uploads.append((key, presence))
            return casavi_id

        return write

    async def remove_document(self, key: RecordKey, *, ids: IdentityMap) -> None:
        self.documents.pop(key, None)
        self.removes.append(key)


class FakeDocuware:
    """The configured file cabinet as a list (its search already applied)."""

    def __init__(self, documents: Sequence[DmsDocument] = ()) -> None:
        self.items = list(documents)

    async def documents(self) -> AsyncIterator[DmsDocument]:
        for item in self.items:
            yield item

    async def document(self, document_id: int) -> DmsDocument:
        for item in self.items:
            if item.record.id == document_id:
                return item
        raise LookupError(f"no DocuWare document {document_id}")
