"""Write-back into iX-Haus: tickets and notes that tenants wrote in casavi (T10, N1, C11).

Each write is idempotent by ``source_ref`` (casavi's id, unique in the interface schema):
a second call with the same ref returns the existing number instead of inserting again, so
jobs may run twice (house rule 7). The author is always the configured ticket user (C11).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Select, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.ixhaus.schema import IxhausTables
from app.domain.config import is_user_number
from app.domain.records import InboundNote, InboundTicket


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
                author_user_no=self._user,  # C11
                created_at=note.created_at,
                content=note.content,
                internal=False,  # N2: only public casavi messages ever come here
                source_ref=note.source_ref,
            )
            .returning(t.c.note_id)
        )

    async def insert_ticket(self, ticket: InboundTicket) -> int:
        """Insert (or find) the ticket for ``ticket.source_ref``; returns its number."""
        return await self._insert_once(
            self.tables.tickets, ticket.source_ref, self.ticket_statement(ticket)
        )

    async def insert_note(self, note: InboundNote) -> int:
        """Insert (or find) the note for ``note.source_ref``; returns its id."""
        return await self._insert_once(
            self.tables.notes, note.source_ref, self.note_statement(note)
        )

    async def _insert_once(self, table: Table, source_ref: str, stmt: Insert) -> int:
        find = self.find_statement(table, source_ref)
        try:
            async with self._engine.begin() as conn:
                existing = await conn.scalar(find)
                if existing is not None:
                    return int(existing)
                return int((await conn.execute(stmt)).scalar_one())
        except IntegrityError:
            # A concurrent job inserted the same ref between our check and insert.
            async with self._engine.connect() as conn:
                existing = await conn.scalar(find)
            if existing is None:
                raise
            return int(existing)
