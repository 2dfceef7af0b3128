"""Note links (``sync.ports.NoteLinks``): which casavi message is which iX-Haus note.

The unique constraints on both ids make ``record`` idempotent under concurrent jobs: the
second insert of the same link fails and is reported as "linked already".
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.models import NoteLink as NoteLinkRow
from app.sync.ports import NoteLink

_COLUMNS = (
    NoteLinkRow.ticket_number,
    NoteLinkRow.ixhaus_note_id,
    NoteLinkRow.casavi_message_id,
    NoteLinkRow.origin,
)


class SqlNoteLinks:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def by_ixhaus_note(self, system: str, note_id: str) -> NoteLink | None:
        return await self._one(system, NoteLinkRow.ixhaus_note_id == note_id)

    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None:
        return await self._one(system, NoteLinkRow.casavi_message_id == message_id)

    async def _one(self, system: str, condition: ColumnElement[bool]) -> NoteLink | None:
        query = select(*_COLUMNS).where(NoteLinkRow.system == system, condition)
        async with self._sessions() as session:
            row = (await session.execute(query.limit(1))).first()
        return None if row is None else NoteLink(**row._asdict())

    async def record(self, system: str, link: NoteLink) -> bool:
        try:
            async with self._sessions() as session:
                session.add(
                    NoteLinkRow(
                        system=system,
                        ticket_number=link.ticket_number,
                        ixhaus_note_id=link.ixhaus_note_id,
                        casavi_message_id=link.casavi_message_id,
                        origin=link.origin,
                    )
                )
                await session.commit()
        except IntegrityError:
            return False
        return True
