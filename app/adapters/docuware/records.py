"""Domain records of the DocuWare adapter and the conversions from wire Structs.

The sync layer sees these, never the wire Structs: a cabinet, and a document with its index
values by DB field name, its size and its creation time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from app.adapters.docuware.settings import IndexFieldNames
from app.adapters.docuware.wire import Document, FieldItem, FileCabinet
from app.domain.eligibility.documents import DocuWareIndex

_DATE = re.compile(r"^/Date\((-?\d+)\)/$")

IndexValue = str | int | float | bool | datetime | tuple[str, ...] | None


class DocuwareCabinet(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str


class DocuwareDocument(msgspec.Struct, frozen=True, kw_only=True):
    cabinet_id: str
    id: int
    title: str
    content_type: str
    size_bytes: int
    index: dict[str, IndexValue]
    created_at: datetime | None = None
    modified_at: datetime | None = None

    def text(self, field: str) -> str | None:
        value = self.index.get(field)
        if value is None or isinstance(value, tuple):
            return None
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)


def parse_date(text: str) -> datetime | None:
    """DocuWare's ``/Date(<ms since epoch>)/``; 0 or negative means "no date" (as SNINER)."""
    match = _DATE.match(text)
    if match is None:
        return None
    millis = int(match.group(1))
    return datetime.fromtimestamp(millis / 1000, UTC) if millis > 0 else None


def _value(item: FieldItem, kind: str) -> IndexValue:
    if isinstance(item, dict):
        return tuple(item.get("Keyword", ()))
    if isinstance(item, str) and kind in ("Date", "DateTime"):
        return parse_date(item)
    return item


def to_cabinet(wire: FileCabinet) -> DocuwareCabinet:
    return DocuwareCabinet(id=wire.id, name=wire.name)


def to_document(wire: Document, cabinet_id: str) -> DocuwareDocument:
    return DocuwareDocument(
        cabinet_id=wire.file_cabinet_id or cabinet_id,
        id=wire.id,
        title=wire.title,
        content_type=wire.content_type,
        size_bytes=wire.file_size,
        created_at=parse_date(wire.created_at),
        modified_at=parse_date(wire.last_modified),
        index={
            f.field_name: None if f.is_null else _value(f.item, f.item_element_name)
            for f in wire.fields
        },
    )


def to_index(document: DocuwareDocument, names: IndexFieldNames) -> DocuWareIndex:
    """The three index fields rule C9 checks, for ``docuware_index_reason``."""
    return DocuWareIndex(
        recipient_type=document.text(names.recipient_type),
        object_no=document.text(names.object_number),
        recipient_header_id=document.text(names.recipient_header_id),
    )
