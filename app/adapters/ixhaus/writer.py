"""Write-back into iX-Haus: tickets and notes that tenants wrote in casavi (T10, N1, C11).

Each write is idempotent by ``source_ref`` (casavi's id, unique in the interface schema):
a second call with the same ref returns the existing number instead of inserting again, so
jobs may run twice (house rule 7). A ticket's author is the configured ticket user (C11); a
note's author (Erfasser) is the casavi staff member's user where one wrote it, else the
ticket user, with the tenant's person and name beside it (N1).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, Select, Table, Update, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.ixhaus.mapping import note_record, ticket_record
from app.adapters.ixhaus.schema import IxhausTables
from app.domain.config import is_user_number
from app.domain.conflicts import TWO_WAY_FIELDS
from app.domain.keys import TicketNumber
from app.domain.records import (
    InboundDocument,
    InboundNote,
    InboundTicket,
    NoteRecord,
    TicketRecord,
)

# Two-way fields that are dates in the interface schema (the rest are text).
_DATE_FIELDS = frozenset({"due_from", "due_until"})
# The document type of a tenant's attachment (its bytes stay in casavi, see the handlers).
INBOUND_DOCUMENT_TYPE = "casavi"


class IxhausWriter:
    def __init__(
        self,
        engine: AsyncEngine,
        ticket_user_no: str,
        tables: IxhausTables | None = None,
        *,
        initial_status_no: str | None = None,
    ) -> None:
        if not is_user_number(ticket_user_no):
            raise ValueError("ticket_user_no must be a three-digit iX-Haus user number (C11)")
        self._engine = engine
        self.tables = tables or IxhausTables()
        self._user = ticket_user_no
        self._status = initial_status_no

    def find_statement(self, table: Table, source_ref: str) -> Select[Any]:
        return select(table.primary_key.columns[0]).where(table.c.source_ref == source_ref)

    def ticket_statement(self, ticket: InboundTicket) -> Insert:
        t = self.tables.tickets
        return (
            t.insert()
            .values(
                type_no=ticket.type_no,
                subject=ticket.subject,
                description=ticket.description,
                object_no=ticket.object_no,
                unit_no=ticket.unit_no,
                reporter_person_no=ticket.reporter_person_no,
                reported_at=ticket.reported_at,
                priority_no=ticket.priority_no,
                status_no=self._status,
                created_by_user_no=self._user,  # C11
                modified_at=ticket.reported_at,
                source_ref=ticket.source_ref,
            )
            .returning(t.c.ticket_no)
        )

    def note_statement(self, note: InboundNote) -> Insert:
        t = self.tables.notes
        return (
            t.insert()
            .values(
                ticket_no=note.ticket_no,
                author_user_no=note.author_user_no or self._user,  # N1, else C11
                author_person_no=note.author_person_no,
                author_name=note.author_name[:200] if note.author_name else None,
                created_at=note.created_at,
                content=note.content,
                internal=False,  # N2: only public casavi messages ever come here
                source_ref=note.source_ref,
            )
            .returning(t.c.note_id)
        )

    def note_query(self, note_id: int) -> Select[Any]:
        return select(self.tables.notes).where(self.tables.notes.c.note_id == note_id)

    def note_update(self, note_id: int, content: str) -> Update:
        t = self.tables.notes
        return t.update().where(t.c.note_id == note_id).values(content=content)

    async def note(self, note_id: int) -> NoteRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(self.note_query(note_id))).first()
        return None if row is None else note_record(row)

    async def update_note(self, note_id: int, content: str) -> None:
        """A tenant edited their message in casavi: the note's content follows."""
        async with self._engine.begin() as conn:
            await conn.execute(self.note_update(note_id, content))

    async def insert_ticket(self, ticket: InboundTicket) -> TicketNumber:
        """Insert (or find) the ticket for ``ticket.source_ref``; returns its number."""
        return TicketNumber(
            await self._insert_once(
                self.tables.tickets, ticket.source_ref, self.ticket_statement(ticket)
            )
        )

    async def insert_note(self, note: InboundNote) -> int:
        """Insert (or find) the note for ``note.source_ref``; returns its id."""
        return await self._insert_once(
            self.tables.notes, note.source_ref, self.note_statement(note)
        )

    def ticket_query(self, number: int) -> Select[Any]:
        return select(self.tables.tickets).where(self.tables.tickets.c.ticket_no == number)

    def fields_statement(self, number: int, fields: dict[str, str | None]) -> Update:
        """Two-way fields by their conflict names (``TWO_WAY_FIELDS``) -> ticket columns."""
        values: dict[str, Any] = {}
        for name, value in fields.items():
            column = TWO_WAY_FIELDS[name]
            if name in _DATE_FIELDS:
                values[column] = date.fromisoformat(value[:10]) if value else None
            elif column == "subject":
                values[column] = value or "-"  # the column is NOT NULL
            else:
                values[column] = value
        t = self.tables.tickets
        return t.update().where(t.c.ticket_no == number).values(**values)

    def rating_statement(
        self, number: int, stars: int, comment: str | None, at: datetime
    ) -> Update:
        t = self.tables.tickets
        return (
            t.update()
            .where(t.c.ticket_no == number)
            .values(
                rating_stars=stars, rating_comment=(comment or None) and comment[:1000], rated_at=at
            )
        )

    def document_statement(self, document: InboundDocument, document_id: int) -> Insert:
        return self.tables.documents.insert().values(
            document_id=document_id,
            type_no=INBOUND_DOCUMENT_TYPE,
            name=document.name[:255],
            created_at=document.created_at,
            size_bytes=document.size_bytes,
            ticket_no=document.ticket_no,
            content_location=document.content_location[:500],
            released=True,
            source="casavi",
            source_ref=document.source_ref,
        )

    async def ticket(self, number: int) -> TicketRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(self.ticket_query(number))).first()
        return None if row is None else ticket_record(row)

    async def update_ticket_fields(self, number: int, fields: dict[str, str | None]) -> None:
        if not fields:
            return
        async with self._engine.begin() as conn:
            await conn.execute(self.fields_statement(number, fields))

    async def set_rating(self, number: int, stars: int, comment: str | None, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(self.rating_statement(number, stars, comment, at))

    async def insert_ticket_document(self, document: InboundDocument) -> int:
        """Insert (or find) the document row for ``document.source_ref``; returns its id.
        The interface has no identity on documents: the next id is taken under the unique
        key, and a collision with a concurrent insert is retried."""
        t = self.tables.documents
        for _ in range(5):
            try:
                async with self._engine.begin() as conn:
                    existing = await conn.scalar(self.find_statement(t, document.source_ref))
                    if existing is not None:
                        return int(existing)
                    next_id = int(await conn.scalar(select(func.max(t.c.document_id))) or 0) + 1
                    await conn.execute(self.document_statement(document, next_id))
                    return next_id
            except IntegrityError:
                continue
        raise RuntimeError("could not store the ticket document (concurrent inserts)")

    async def _insert_once(self, table: Table, source_ref: str, stmt: Insert) -> int:
        find = self.find_statement(table, source_ref)
        try:
            # The unique source ref, not the transaction, keeps a second insert out (a
            # concurrent job lands in the except below): on PostgreSQL and SQLite the look-up
            # and the insert each run on their own (two round trips instead of four).
            autocommit = self._engine.dialect.name in ("postgresql", "sqlite")
            async with self._engine.connect() as conn:
                if autocommit:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                existing = await conn.scalar(find)
                if existing is not None:
                    return int(existing)
                inserted = int((await conn.execute(stmt)).scalar_one())
                if not autocommit:
                    await conn.commit()
                return inserted
        except IntegrityError:
            # A concurrent job inserted the same ref between our check and insert.
            async with self._engine.connect() as conn:
                existing = await conn.scalar(find)
            if existing is None:
                raise
            return int(existing)
