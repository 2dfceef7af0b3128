"""DocuWare documents through the document rules (the HTTP proofs are in
tests/integration/sync/test_documents_sync.py; these cover the branches a search never
returns, e.g. a webhook's document without index fields)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.config import SyncConfig, ranges
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.documents import DocuWareIndex
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import DocumentRecord, DocumentTypeRecord
from app.sync.outbound.documents import DocumentTypes, decide_dms, known_references
from app.sync.ports import DmsDocument

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TYPES = DocumentTypes([DocumentTypeRecord(number="MV", name="Mietvertrag")])
CONFIG = SyncConfig(object_range=ranges("1001"), document_types_unfiltered=("MV",))
KEY = RecordKey.docuware_document("cab", 7)


def item(index: DocuWareIndex, type_text: str = "Mietvertrag", size: int = 10) -> DmsDocument:
    record = DocumentRecord(
        id=7,
        type_no=type_text,
        name="Mietvertrag 1001",
        created_at=datetime(2010, 1, 1, tzinfo=UTC),
        size_bytes=size,
        object_no="1001",
        person_no=index.recipient_header_id,
        content_location="docuware://cab/7",
        source="docuware",
    )
    return DmsDocument(key=KEY, record=record, index=index, version="2026-05-01T00:00:00+00:00")


FULL = DocuWareIndex(recipient_type="P", object_no="1001", recipient_header_id="4711")


def test_c9_index_fields_required_without_a_filter() -> None:
    # rule C9
    missing = item(DocuWareIndex(recipient_type="P", object_no="1001"))
    decision = decide_dms(missing, TYPES, CONFIG, NOW)
    assert isinstance(decision, Exclude)
    assert (decision.key, decision.reason.value) == (KEY, "docuware_index_missing")
    with_filter = SyncConfig(
        object_range=ranges("1001"), document_types_unfiltered=("MV",), docuware_filters=("X=1",)
    )
    assert isinstance(decide_dms(missing, TYPES, with_filter, NOW), Transfer)


def test_c13_no_docuware_sync() -> None:
    # rule C13
    off = SyncConfig(object_range=ranges("1001"), no_docuware_sync=True)
    decision = decide_dms(item(FULL), TYPES, off, NOW)
    assert isinstance(decision, Exclude)
    assert decision.reason.value == "docuware_sync_disabled"


def test_d3_type_by_name_and_fingerprint_fields() -> None:
    # rule D3, rule C7: DocuWare's type text matches the iX-Haus type's name
    decision = decide_dms(item(FULL), TYPES, CONFIG, NOW)
    assert isinstance(decision, Transfer)
    assert decision.key == KEY
    assert decision.record.document_type == "Mietvertrag"
    assert decision.record.content_version == "2026-05-01T00:00:00+00:00"


def test_d2_d5_keep_the_docuware_key() -> None:
    # rule D2: a type the configuration does not release; rule D5: over the limit
    unreleased = decide_dms(item(FULL, type_text="Rechnung"), TYPES, CONFIG, NOW)
    assert isinstance(unreleased, Delete)
    assert unreleased.key == KEY
    small = SyncConfig(
        object_range=ranges("1001"), document_types_unfiltered=("MV",), max_document_bytes=9
    )
    too_large = decide_dms(item(FULL), TYPES, small, NOW)
    assert isinstance(too_large, Exclude)
    assert (too_large.key, too_large.reason.value) == (KEY, "document_too_large")


def test_references_casavi_lacks_are_left_out() -> None:
    decision = decide_dms(item(FULL), TYPES, CONFIG, NOW)
    only_object = known_references(decision, _holding(RecordKey.of(EntityKind.OBJECT, "1001")))
    assert isinstance(only_object, Transfer)
    assert (only_object.record.object_no, only_object.record.person_no) == ("1001", None)


def test_index_values_that_are_no_keys_are_left_out() -> None:
    odd = DocuWareIndex(recipient_type="P", object_no="1001", recipient_header_id="12/34")
    decision = decide_dms(item(odd), TYPES, CONFIG, NOW)
    checked = known_references(decision, _holding(RecordKey.of(EntityKind.OBJECT, "1001")))
    assert isinstance(checked, Transfer)
    assert checked.record.person_no is None


def _holding(*keys: RecordKey) -> IdentityMap:
    ids = IdentityMap()
    for key in keys:
        ids.learn(key, "sent", key.reference_id)
    return ids
