"""Reader and writer against a real Oracle database (ORACLE_TEST_URL).

No Oracle server runs in this environment, so this module is skipped here; the statements
themselves are compiled for Oracle in ``test_schema_oracle.py``. Example URL:
``oracle+oracledb://gateway:secret@127.0.0.1:1521/?service_name=FREEPDB1``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import IxhausSchemaConfig, IxhausTables
from app.adapters.ixhaus.writer import IxhausWriter
from app.domain.records import InboundNote, InboundTicket
from app.environment import normalise_database_url
from app.sandbox.ixhaus import seed

ORACLE_URL = os.environ.get("ORACLE_TEST_URL")

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.skipif(
        not ORACLE_URL, reason="ORACLE_TEST_URL is not set: no Oracle server to test against"
    ),
]
TABLES = IxhausTables(IxhausSchemaConfig(prefix="gwt_"))


@pytest.fixture
async def oracle_engine() -> AsyncIterator[AsyncEngine]:
    assert ORACLE_URL is not None
    engine = create_async_engine(normalise_database_url(ORACLE_URL))
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(TABLES.metadata.drop_all)
        await engine.dispose()


async def test_seed_read_and_write_on_oracle(oracle_engine: AsyncEngine) -> None:
    # rule C11: write-back carries the ticket user; ids are idempotent by source_ref
    report = await seed(oracle_engine, "small", seed=1, today=date(2026, 6, 15), tables=TABLES)
    reader = IxhausReader(oracle_engine, TABLES)
    for name in ("objects", "persons", "contracts", "tickets", "notes", "documents"):
        assert len([r async for r in getattr(reader, name)()]) == report.counts[name]
    writer = IxhausWriter(oracle_engine, "900", TABLES)
    when = datetime(2026, 6, 15, 9, tzinfo=UTC)
    ticket = InboundTicket(source_ref="ora-1", type_no="10", subject="Heizung fällt aus",
                           object_no="1001", reported_at=when)  # fmt: skip
    number = await writer.insert_ticket(ticket)
    assert await writer.insert_ticket(ticket) == number
    note = InboundNote(source_ref="ora-n-1", ticket_no=number, created_at=when, content="Danke")
    assert await writer.insert_note(note) == await writer.insert_note(note)
    written = [t async for t in reader.tickets() if t.number == number]
    assert written[0].created_by_user_no == "900"
    assert written[0].reported_at == when
