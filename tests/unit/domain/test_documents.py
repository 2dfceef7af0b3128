"""Documents: D1-D6 with C6/C7 (type lists), C9 (DocuWare filter) and C13 (no-DocuWare)."""

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.config import SyncConfig, ranges
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.documents import (
    DocuWareIndex,
    decide_document,
    docuware_index_reason,
)
from app.domain.keys import RecordKey
from app.domain.reasons import Reason
from app.domain.records import DocumentRecord, DocumentTypeRecord

K = RecordKey.parse

NOW = datetime(2026, 6, 15, 10, tzinfo=UTC)
BOUNDARY = datetime(2024, 12, 31, 23, tzinfo=UTC)  # 1 Jan 2025 00:00 Berlin
MB = 1024 * 1024
CONFIG = SyncConfig(
    object_range=ranges("1001-1009"),
    document_types_time_filtered=("NKA", "RS"),
    document_types_unfiltered=("MV",),
)
TYPES = {
    "MV": DocumentTypeRecord(number="MV", name="Mietvertrag"),
    "NKA": DocumentTypeRecord(number="NKA", name="Nebenkostenabrechnung", document_class="Abr."),
    "RS": DocumentTypeRecord(number="RS", name="Rundschreiben"),
    "INT": DocumentTypeRecord(number="INT", name="Interner Vermerk"),
}


def doc(type_no: str = "RS", **kw: object) -> DocumentRecord:
    base: dict[str, object] = {
        "id": 7,
        "type_no": type_no,
        "name": "Rundschreiben 2026.pdf",
        "created_at": NOW - timedelta(days=3),
        "size_bytes": 120_000,
        "object_no": "1001",
        "content_location": "ixhaus://multimedia/7.pdf",
    }
    base.update(kw)
    return DocumentRecord(**base)  # type: ignore[arg-type]


def decide(document: DocumentRecord, config: SyncConfig = CONFIG) -> object:
    return decide_document(document, TYPES.get(document.type_no), config, NOW)


def test_released_document_is_sent_with_content() -> None:
    # rule D1: released documents go out with their content
    decision = decide(doc())
    assert isinstance(decision, Transfer)
    assert decision.record.content_location == "ixhaus://multimedia/7.pdf"


def test_unreleased_document_of_enabled_object_is_reported_deleted() -> None:
    # rule D2: not released -> reported as deleted, without content
    decision = decide(doc(released=False))
    assert decision == Delete(key=K("document:7"), reason=Reason.DOCUMENT_NOT_RELEASED)


def test_document_of_disabled_object_is_excluded_not_deleted() -> None:
    # rule D2: only documents of enabled objects are reported as deleted
    assert decide(doc(object_no="2000")) == Exclude(
        key=K("document:7"), reason=Reason.OBJECT_NOT_ENABLED
    )


def test_document_type_not_in_either_list_is_not_released() -> None:
    # rule C6 / rule C7: only the configured document types are released
    assert decide(doc("INT")) == Delete(
        key=K("document:7"), reason=Reason.DOCUMENT_TYPE_NOT_CONFIGURED
    )


def test_fields_name_type_or_class_and_creation_date() -> None:
    # rule D3: name, document type - or the class if one is set up - and creation date
    plain = decide(doc())
    classed = decide(doc("NKA", name="NKA 2025.pdf"))
    assert isinstance(plain, Transfer)
    assert isinstance(classed, Transfer)
    assert plain.record.document_type == "Rundschreiben"
    assert classed.record.document_type == "Abr."
    assert classed.record.name == "NKA 2025.pdf"
    assert classed.record.created_at == NOW - timedelta(days=3)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (BOUNDARY, Transfer),
        (BOUNDARY - timedelta(seconds=1), Delete),
        (BOUNDARY + timedelta(seconds=1), Transfer),
    ],
)
def test_time_filter_starts_at_previous_calendar_year(created: datetime, expected: type) -> None:
    # rule D4 / rule C6: time-filtered types only since 1 Jan of last year (Berlin)
    decision = decide(doc("NKA", created_at=created))
    assert isinstance(decision, expected)
    if isinstance(decision, Delete):
        assert decision.reason is Reason.DOCUMENT_BEFORE_TIME_FILTER


@given(st.integers(min_value=0, max_value=20 * 365 * 24))
def test_unfiltered_types_ignore_the_date(hours_ago: int) -> None:
    # rule C7 / rule D4 (property): the lease is always sent, however old
    decision = decide(doc("MV", created_at=NOW - timedelta(hours=hours_ago)))
    assert isinstance(decision, Transfer)


@given(st.integers(min_value=-3 * 365 * 24 * 3600, max_value=3 * 365 * 24 * 3600))
def test_time_filter_boundary_property(offset_seconds: int) -> None:
    # rule D4 (property): transferred iff created at or after the boundary
    created = BOUNDARY + timedelta(seconds=offset_seconds)
    decision = decide(doc("RS", created_at=created))
    assert isinstance(decision, Transfer) is (offset_seconds >= 0)


@pytest.mark.parametrize(
    ("size", "expected"), [(100 * MB, Transfer), (100 * MB + 1, Exclude), (150 * MB, Exclude)]
)
def test_documents_over_100_mb_are_excluded_with_a_warning(size: int, expected: type) -> None:
    # rule D5: max. 100 MB; larger files are not sent: excluded with a reason an operator must
    # act on (a warning), never an error of the run
    decision = decide(doc(size_bytes=size))
    assert isinstance(decision, expected)
    if isinstance(decision, Exclude):
        assert decision.reason is Reason.DOCUMENT_TOO_LARGE
        assert decision.severity == "warning"


def test_oversized_unreleased_document_is_just_deleted() -> None:
    # rule D5 / rule D2: no content goes out for a deletion, so its size does not matter
    assert isinstance(decide(doc(size_bytes=500 * MB, released=False)), Delete)


def test_ticket_documents_follow_the_same_rules() -> None:
    # rule D6: ticket documents - same release, time filter and size rules
    assert isinstance(decide(doc(ticket_no=42)), Transfer)
    assert isinstance(decide(doc(ticket_no=42, released=False)), Delete)
    old = doc("NKA", ticket_no=42, created_at=BOUNDARY - timedelta(days=1))
    assert isinstance(decide(old), Delete)
    assert isinstance(decide(doc(ticket_no=42, size_bytes=101 * MB)), Exclude)
    sent = decide(doc(ticket_no=42))
    assert isinstance(sent, Transfer)
    assert sent.record.ticket_no == 42


def test_no_docuware_switch_skips_docuware_documents_only() -> None:
    # rule C13: "@noDwSync" - no DocuWare synchronisation
    config = SyncConfig(
        object_range=ranges("1001"), document_types_time_filtered=("RS",), no_docuware_sync=True
    )
    assert decide(doc(source="docuware"), config) == Exclude(
        key=K("document:7"), reason=Reason.DOCUWARE_SYNC_DISABLED
    )
    assert isinstance(decide(doc(), config), Transfer)
    assert docuware_index_reason(DocuWareIndex(), config) is Reason.DOCUWARE_SYNC_DISABLED


@pytest.mark.parametrize(
    ("index", "filters", "reason"),
    [
        (DocuWareIndex(recipient_type="P", object_no="1001", recipient_header_id="H1"), (), None),
        (DocuWareIndex(recipient_type="K", object_no="1001", recipient_header_id="H1"), (), None),
        (DocuWareIndex(recipient_type="X", object_no="1001", recipient_header_id="H1"), (),
         Reason.DOCUWARE_INDEX_MISSING),
        (DocuWareIndex(recipient_type="P", recipient_header_id="H1"), (),
         Reason.DOCUWARE_INDEX_MISSING),
        (DocuWareIndex(recipient_type="P", object_no="1001"), (), Reason.DOCUWARE_INDEX_MISSING),
        (DocuWareIndex(), ("DOCUMENT_TYPE=Mietvertrag",), None),
    ],
)  # fmt: skip
def test_docuware_documents_need_index_fields_without_a_filter(
    index: DocuWareIndex, filters: tuple[str, ...], reason: Reason | None
) -> None:
    # rule C9: without a configured filter: recipient type P/K, object number, header id
    assert docuware_index_reason(index, SyncConfig(docuware_filters=filters)) is reason


def test_an_attachment_from_the_portal_is_never_sent_back() -> None:
    # rule D6 with echo suppression: a tenant's casavi attachment, recorded in iX-Haus by the
    # gateway, must not return to casavi as a document
    attachment = msgspec.structs.replace(doc(), source="casavi")
    assert decide(attachment) == Exclude(key=K("document:7"), reason=Reason.DOCUMENT_FROM_PORTAL)
