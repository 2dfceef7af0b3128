"""Write-back of casavi tickets and notes: idempotent by source reference, author = C11 user."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import IxhausSchemaConfig, IxhausTables
from app.adapters.ixhaus.writer import IxhausWriter
from app.domain.keys import TicketNumber
from app.domain.records import InboundNote, InboundTicket
from app.environment import normalise_database_url
from app.sandbox.ixhaus import seed

WHEN = datetime(2026, 6, 15, 8, 30, tzinfo=UTC)
TICKET = InboundTicket(
    source_ref="casavi:ticket:4711",
    type_no="10",
    subject="Wasserhahn tropft",
    description="Küche, seit heute früh",
    object_no="1002",
    unit_no="003",
    reporter_person_no="100011",
    reported_at=WHEN,
)


async def test_ticket_and_note_written_once_with_ticket_user(engine: AsyncEngine) -> None:
    # rule C11: tickets and notes from casavi carry the configured ticket user as author
    report = await seed(engine, "small", seed=5, today=date(2026, 6, 15))
    writer = IxhausWriter(engine, "900", initial_status_no="1")
    number = await writer.insert_ticket(TICKET)
    assert number == report.counts["tickets"] + 1  # identity continues after seeded rows
    assert await writer.insert_ticket(TICKET) == number  # idempotent by source_ref
    note = InboundNote(source_ref="casavi:msg:1", ticket_no=number, created_at=WHEN,
                       content="Danke, der Handwerker war da.")  # fmt: skip
    note_id = await writer.insert_note(note)
    assert await writer.insert_note(note) == note_id
    assert note_id == report.counts["notes"] + 1

    reader = IxhausReader(engine)
    tickets = [t async for t in reader.tickets(object_nos=["1002"]) if t.number == number]
    assert len(tickets) == 1
    written = tickets[0]
    assert written.created_by_user_no == "900"
    assert written.source_ref == TICKET.source_ref
    assert written.reported_at == WHEN
    assert written.status_no == "1"
    assert written.is_open
    notes = [n async for n in reader.notes() if n.ticket_no == number]
    assert len(notes) == 1
    assert notes[0].author_user_no == "900"
    assert notes[0].internal is False  # rule N2: nothing internal comes from casavi
    assert await reader.count("tickets") == report.counts["tickets"] + 1
    changed = [t async for t in reader.tickets(modified_since=WHEN) if t.number == number]
    assert len(changed) == 1


async def test_concurrent_duplicate_inserts_return_one_id(engine: AsyncEngine) -> None:
    await seed(engine, "small", seed=5, today=date(2026, 6, 15))
    writer = IxhausWriter(engine, "900")
    ticket = InboundTicket(source_ref="casavi:ticket:race", type_no="10", subject="Rohrbruch",
                           object_no="1001", reported_at=WHEN)  # fmt: skip
    numbers = await asyncio.gather(*(writer.insert_ticket(ticket) for _ in range(5)))
    assert len(set(numbers)) == 1
    reader = IxhausReader(engine)
    refs = [t.source_ref async for t in reader.tickets() if t.source_ref == ticket.source_ref]
    assert refs == [ticket.source_ref]


async def test_seed_and_write_in_a_configured_postgresql_schema(pg_database: str) -> None:
    # The installation's owner/schema and table names are configurable (issue 4, item 1).
    tables = IxhausTables(
        IxhausSchemaConfig(schema="ixhaus_if", table_names={"tickets": "v_meldungen"})
    )
    engine = create_async_engine(normalise_database_url(pg_database))
    try:
        report = await seed(engine, "small", seed=2, today=date(2026, 6, 15), tables=tables)
        writer = IxhausWriter(engine, "900", tables)
        number = await writer.insert_ticket(TICKET)
        assert number == report.counts["tickets"] + 1
        assert await IxhausReader(engine, tables).count("tickets") == number
        async with engine.connect() as conn:
            found = await conn.scalar(text("SELECT count(*) FROM ixhaus_if.v_meldungen"))
        assert found == number
    finally:
        await engine.dispose()


async def test_the_reader_joins_the_status_kind_onto_each_ticket(engine: AsyncEngine) -> None:
    # rule T1: a ticket whose status is closed/cancelled but carries no date is not open
    await seed(engine, "small", seed=5, today=date(2026, 6, 15))
    tables = IxhausTables()
    async with engine.begin() as conn:
        await conn.execute(
            tables.tickets.update()
            .where(tables.tickets.c.ticket_no.in_([1, 2]))
            .values(closed_at=None, cancelled_at=None, status_no="9")  # "Storniert"
        )
        await conn.execute(
            tables.tickets.update().where(tables.tickets.c.ticket_no == 3).values(status_no="77")
        )
    reader = IxhausReader(engine)
    tickets = {t.number: t async for t in reader.tickets() if t.number in (1, 2, 3)}
    assert tickets[TicketNumber(1)].status_kind == "cancelled"
    assert not tickets[TicketNumber(1)].is_open
    assert not tickets[TicketNumber(2)].is_open
    assert tickets[TicketNumber(1)].ended_at is None
    assert tickets[TicketNumber(3)].status_kind is None  # an unknown status says nothing
    assert tickets[TicketNumber(3)].is_open
