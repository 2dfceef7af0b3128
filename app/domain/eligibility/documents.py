"""Documents, ticket documents and DocuWare documents (rules D1-D6, C6, C7, C9, C13)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.calendar import on_or_after, start_of_previous_year
from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalDocument
from app.domain.reasons import Reason
from app.domain.records import DocumentRecord, DocumentTypeRecord


class DocuWareIndex(msgspec.Struct, frozen=True, kw_only=True):
    """Index fields C9 requires when no DocuWare filter is configured."""

    recipient_type: str | None = None  # "P" person, "K" creditor (Kreditor)
    object_no: str | None = None
    recipient_header_id: str | None = None


def document_key(document_id: int) -> RecordKey:
    return RecordKey.of(EntityKind.DOCUMENT, document_id)


def document_type_label(doc_type: DocumentTypeRecord) -> str:
    """D3: the document class wins when one is set up."""
    return doc_type.document_class or doc_type.name


def _release_reason(document: DocumentRecord, config: SyncConfig, now: datetime) -> Reason | None:
    """D1/D4/C6/C7: None when the configuration releases the document."""
    if not document.released:
        return Reason.DOCUMENT_NOT_RELEASED
    if document.type_no in config.document_types_unfiltered:
        return None  # C7: no time filter
    if document.type_no in config.document_types_time_filtered:
        boundary = start_of_previous_year(now, config.timezone)
        return (
            None
            if on_or_after(document.created_at, boundary)
            else (Reason.DOCUMENT_BEFORE_TIME_FILTER)
        )
    return Reason.DOCUMENT_TYPE_NOT_CONFIGURED


def decide_document(
    document: DocumentRecord,
    doc_type: DocumentTypeRecord | None,
    config: SyncConfig,
    now: datetime,
) -> Decision[PortalDocument]:
    """D1-D6: the same rules hold for object, person and ticket documents (D6)."""
    key = document_key(document.id)
    if document.source == "casavi":
        # Echo suppression: a tenant's attachment the gateway recorded in iX-Haus (T10).
        return Exclude(key=key, reason=Reason.DOCUMENT_FROM_PORTAL)
    if document.source == "docuware" and config.no_docuware_sync:
        return Exclude(key=key, reason=Reason.DOCUWARE_SYNC_DISABLED)  # C13
    if document.object_no is None or not config.object_enabled(document.object_no):
        return Exclude(key=key, reason=Reason.OBJECT_NOT_ENABLED)
    reason = (
        Reason.DOCUMENT_TYPE_NOT_CONFIGURED
        if doc_type is None
        else _release_reason(document, config, now)
    )
    if reason is not None:
        # D2: not released in an enabled object -> reported as deleted, no content.
        return Delete(key=key, reason=reason)
    assert doc_type is not None
    if document.size_bytes > config.max_document_bytes:
        return Exclude(key=key, reason=Reason.DOCUMENT_TOO_LARGE)  # D5: an error
    record = PortalDocument(
        id=document.id,
        name=document.name,
        document_type=document_type_label(doc_type),
        created_at=document.created_at,
        object_no=document.object_no,
        person_no=document.person_no,
        ticket_no=document.ticket_no,
        content_location=document.content_location,  # D1: content only when released
        size_bytes=document.size_bytes,
    )
    return Transfer(key=key, record=record)


def docuware_index_reason(index: DocuWareIndex, config: SyncConfig) -> Reason | None:
    """C9: without a configured filter a DocuWare document needs its three index fields."""
    if config.no_docuware_sync:
        return Reason.DOCUWARE_SYNC_DISABLED
    if config.docuware_filters:
        return None
    complete = (
        index.recipient_type in ("P", "K")
        and bool(index.object_no)
        and bool(index.recipient_header_id)
    )
    return None if complete else Reason.DOCUWARE_INDEX_MISSING
