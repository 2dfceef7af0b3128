"""The documents stage of a run and DocuWare's one-document send, over in-memory fakes of
every port (the HTTP proofs are in tests/integration/sync/test_documents_sync.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from app.domain.config import SyncConfig, ranges
from app.domain.eligibility.documents import DocuWareIndex
from app.domain.keys import EntityKind, RecordKey
from app.domain.records import DocumentRecord, DocumentTypeRecord, ObjectRecord
from app.errors import SyncNotPossible
from app.sync.context import SystemAdapters, SystemContext
from app.sync.outbound.documents import send_docuware_document
from app.sync.outbound.run import run_outbound
from app.sync.ports import DmsDocument
from tests.document_fakes import FakeContents, FakeDocumentPortal, FakeDocuware
from tests.fakes import (
    NOW,
    FakeLedger,
    FakePortal,
    FakePortalStates,
    FakeSource,
    fake_stores,
    settings_for,
)

CONFIG = SyncConfig(object_range=ranges("1001"), document_types_unfiltered=("MV",))
TYPES = [
    DocumentTypeRecord(number="MV", name="Mietvertrag"),
    DocumentTypeRecord(number="RE", name="Rechnung"),
]
LEASE = DocumentRecord(
    id=1,
    type_no="MV",
    name="Mietvertrag Meyer",
    created_at=datetime(2019, 3, 1, tzinfo=UTC),
    size_bytes=11,
    object_no="1001",
    content_location="ixhaus://1",
)
INVOICE = msgspec.structs.replace(LEASE, id=2, type_no="RE", content_location="ixhaus://2")
ELSEWHERE = msgspec.structs.replace(LEASE, id=3, object_no="1003", content_location="ixhaus://3")
BLOBS = {"ixhaus://1": b"Mietvertrag", "ixhaus://2": b"Rechnung", "ixhaus://3": b"anderswo"}
LEASE_KEY = RecordKey.of(EntityKind.DOCUMENT, 1)
DW_KEY = RecordKey.docuware_document("cab", 7)
DW_LEASE = DmsDocument(
    key=DW_KEY,
    record=msgspec.structs.replace(
        LEASE, id=7, type_no="Mietvertrag", content_location="docuware://cab/7", size_bytes=10
    ),
    index=DocuWareIndex(recipient_type="P", object_no="1001", recipient_header_id="4711"),
    version="2026-05-01T00:00:00+00:00",
)


def context(
    source: FakeSource,
    documents: FakeDocumentPortal,
    contents: FakeContents,
    docuware: FakeDocuware | None = None,
    ledger: FakeLedger | None = None,
) -> SystemContext:
    async def close() -> None:
        return None

    adapters = SystemAdapters(
        source=source, writer=None, portal=FakePortal(), close=close,
        documents=documents, contents=contents, docuware=docuware,
    )  # fmt: skip
    stores = fake_stores(ledger or FakeLedger(), FakePortalStates()).bind("test")
    return SystemContext(settings_for("test", config=CONFIG), adapters, stores)


def source(*documents: DocumentRecord) -> FakeSource:
    objects = [ObjectRecord(number=n, name=f"Haus {n}") for n in ("1001", "1003")]
    return FakeSource(objects=objects, document_types=TYPES, documents=documents)


async def test_released_documents_go_with_their_content_once() -> None:
    # rule D1: a released type is sent with its content, streamed from the source;
    # rule D3: name, type and creation date travel with it; rule D2: an unreleased type in an
    # enabled object is recorded with its reason, never sent; another object's is left out.
    documents, contents, ledger = FakeDocumentPortal(), FakeContents(BLOBS), FakeLedger()
    ctx = context(source(LEASE, INVOICE, ELSEWHERE), documents, contents, ledger=ledger)
    await run_outbound(ctx, run_id=1, now=NOW)
    assert list(documents.documents) == [LEASE_KEY]
    sent, body = documents.documents[LEASE_KEY]
    assert body == b"Mietvertrag"
    assert (sent.name, sent.document_type, sent.created_at) == (
        "Mietvertrag Meyer",
        "Mietvertrag",
        LEASE.created_at,
    )
    assert contents.streams == ["ixhaus://1"]
    lines = {o.key: o for run, o in ledger.protocol if o.key.kind is EntityKind.DOCUMENT}
    assert lines[RecordKey.of(EntityKind.DOCUMENT, 2)].reason_code == "document_type_not_configured"
    # Unchanged, the next run reads no content and uploads nothing.
    await run_outbound(ctx, run_id=2, now=NOW)
    assert len(documents.uploads) == 1
    assert contents.streams == ["ixhaus://1"]


async def test_a_document_whose_content_changed_is_sent_again() -> None:
    # rule D1: an iX-Haus document's location and size say its content changed
    documents, contents, ledger = FakeDocumentPortal(), FakeContents(BLOBS), FakeLedger()
    await run_outbound(
        context(source(LEASE), documents, contents, ledger=ledger),
        run_id=1, now=NOW,
    )  # fmt: skip
    contents.blobs["ixhaus://1b"] = b"Mietvertrag 2"
    moved = msgspec.structs.replace(LEASE, content_location="ixhaus://1b", size_bytes=13)
    await run_outbound(
        context(source(moved), documents, contents, ledger=ledger),
        run_id=2, now=NOW,
    )  # fmt: skip
    assert [key for key, _ in documents.uploads] == [LEASE_KEY, LEASE_KEY]
    assert documents.documents[LEASE_KEY][1] == b"Mietvertrag 2"


async def test_docuware_documents_go_in_the_run_and_by_webhook() -> None:
    # rule C9: a DocuWare document with its index fields; its type text is the iX-Haus type's
    # name (rule D3)
    documents, ledger = FakeDocumentPortal(), FakeLedger()
    contents = FakeContents({"docuware://cab/7": b"DW-Vertrag"})
    ctx = context(source(), documents, contents, FakeDocuware([DW_LEASE]), ledger)
    await run_outbound(ctx, run_id=1, now=NOW)
    assert list(documents.documents) == [DW_KEY]
    # The webhook's send of the same, unchanged document writes nothing.
    tally = await send_docuware_document(ctx, document_id=7, now=NOW)
    assert (tally.sent, tally.unchanged) == (0, 1)
    assert len(documents.uploads) == 1


async def test_the_webhook_needs_docuware_configured() -> None:
    # rule C13: no DocuWare sync, no DocuWare adapter
    ctx = context(source(), FakeDocumentPortal(), FakeContents())
    with pytest.raises(SyncNotPossible):
        await send_docuware_document(ctx, document_id=7, now=NOW)
