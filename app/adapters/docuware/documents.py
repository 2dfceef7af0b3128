"""``DocuwareDocuments``: the configured file cabinet as the sync layer's ``DocuwareSource``.

Converts the adapter's ``DocuwareDocument`` into the domain's ``DocumentRecord`` (plus the C9
index fields and the modification time that fingerprints the content): the name from the
name field or the title, the type from the document-type field, the creation date from
``DWSTOREDATETIME`` (or ``CreatedAt``), the object from the object-number field, and the
person from the recipient header id when the recipient type is ``P`` (a ``K`` recipient is a
creditor, not a portal contact).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from app.adapters.document_contents import docuware_location
from app.adapters.docuware.client import DocuwareClient
from app.adapters.docuware.records import DocuwareDocument, to_index
from app.domain.keys import RecordKey
from app.domain.records import DocumentRecord
from app.sync.ports import DmsDocument

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DocuwareDocuments:
    def __init__(
        self, client: DocuwareClient, cabinet_id: str, filters: Sequence[str] = ()
    ) -> None:
        self.client = client
        self.cabinet_id = cabinet_id
        self._filters = tuple(filters)

    def __repr__(self) -> str:
        return f"DocuwareDocuments(cabinet_id={self.cabinet_id!r})"

    async def documents(self) -> AsyncIterator[DmsDocument]:
        async for document in self.client.search(self.cabinet_id, self._filters):
            yield self.to_dms(document)

    async def document(self, document_id: int) -> DmsDocument:
        return self.to_dms(await self.client.document(self.cabinet_id, document_id))

    def to_dms(self, document: DocuwareDocument) -> DmsDocument:
        names = self.client.config.fields
        index = to_index(document, names)
        created = document.index.get(names.created)
        created_at = created if isinstance(created, datetime) else document.created_at
        modified = document.modified_at or created_at
        record = DocumentRecord(
            id=document.id,
            type_no=document.text(names.document_type) or "",
            name=document.text(names.name) or document.title or f"DocuWare {document.id}",
            created_at=created_at or _EPOCH,
            size_bytes=document.size_bytes,
            object_no=index.object_no,
            person_no=index.recipient_header_id if index.recipient_type == "P" else None,
            content_location=docuware_location(document.cabinet_id, document.id),
            released=True,  # DocuWare has no release flag: the document type decides (C6/C7)
            source="docuware",
        )
        return DmsDocument(
            key=RecordKey.docuware_document(document.cabinet_id, document.id),
            record=record,
            index=index,
            content_type=document.content_type,
            version=modified.isoformat() if modified else None,
        )
