"""The simulator's sample data: cabinets and documents with the iX-Haus index fields.

Index fields (DB names as in ``IndexFieldNames``): recipient type (P/K), object number,
recipient header id, document type, name, and the system field ``DWSTOREDATETIME``. Some
sample documents lack an index field, so rule C9's default search has something to leave out.
Some documents are large (above 100 MB): their content is generated, never stored.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from app.sandbox.docuware.state import SimCabinet, SimDocument

MAIN_CABINET = "6f1c2a9e-3b7d-4e51-9a0c-1d2e3f405001"
CREDITOR_CABINET = "6f1c2a9e-3b7d-4e51-9a0c-1d2e3f405002"
TRAY = "b_6f1c2a9e-3b7d-4e51-9a0c-1d2e3f405003"
MB = 1024 * 1024

DOCUMENT_TYPES = ("Mietvertrag", "Nebenkostenabrechnung", "Rechnung", "Protokoll", "Mahnung")


def sample_cabinets() -> list[SimCabinet]:
    return [
        SimCabinet(MAIN_CABINET, "Mieterakten"),
        SimCabinet(CREDITOR_CABINET, "Kreditoren"),
        SimCabinet(TRAY, "Briefkorb", is_basket=True),
    ]


def make_document(
    document_id: int,
    *,
    cabinet_id: str = MAIN_CABINET,
    size: int = 4096,
    recipient_type: str | None = "P",
    object_number: str | None = "1001",
    recipient_header_id: str | None = "4711",
    document_type: str = "Mietvertrag",
    created: datetime | None = None,
) -> SimDocument:
    when = created or datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=document_id)
    name = f"{document_type} {object_number or '-'} #{document_id}"
    return SimDocument(
        id=document_id,
        cabinet_id=cabinet_id,
        title=name,
        size=size,
        created=when,
        fields={
            "EMPFAENGERTYP": recipient_type,
            "OBJEKTNUMMER": object_number,
            "EMPFAENGER_KOPF_ID": recipient_header_id,
            "DOKUMENTTYP": document_type,
            "DOKUMENTNAME": name,
            "DWSTOREDATETIME": when.strftime("%Y-%m-%dT%H:%M:%S"),
        },
    )


def sample_documents(count: int = 24, seed: int = 1, large: int = 1) -> list[SimDocument]:
    """``count`` documents (same seed, same data); the last ``large`` are 100-150 MB."""
    rnd = random.Random(seed)
    documents = []
    for number in range(1, count + 1):
        is_large = number > count - large
        missing = rnd.random() < 0.15  # C9: some documents lack an index field
        documents.append(
            make_document(
                number,
                cabinet_id=MAIN_CABINET if rnd.random() < 0.8 else CREDITOR_CABINET,
                size=rnd.randint(100, 150) * MB if is_large else rnd.randint(2_000, 400_000),
                recipient_type=rnd.choice(("P", "P", "K")),
                object_number=None if missing else str(rnd.randint(1001, 1012)),
                recipient_header_id=str(rnd.randint(1, 999)),
                document_type=rnd.choice(DOCUMENT_TYPES),
            )
        )
    return documents
