"""Note links (``sync.ports.NoteLinks``): which casavi message is which iX-Haus note.

The unique constraints on both ids make ``record`` idempotent under concurrent jobs: the
second insert of the same link fails and is reported as "linked already".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.database import engine_of, read_connection, write_alone
from app.adapters.store.models import NoteLink as NoteLinkRow
from app.sync.ports import NoteLink

_COLUMNS = (
    NoteLinkRow.ticket_number,
    NoteLinkRow.ixhaus_note_id,
    NoteLinkRow.casavi_message_id,
    NoteLinkRow.origin,
)
_BY_MESSAGE = (
    select(*_COLUMNS)
    .where(
        NoteLinkRow.system == bindparam("p_system"),
        NoteLinkRow.casavi_message_id == bindparam("p_message"),
    )
    .limit(1)
)
_INSERT = insert(NoteLinkRow)  # the values as parameters: built once
# Ids per IN list (Oracle takes at most 1,000 expressions in one).
_IN_LIST = 500


class SqlNoteLinks:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def by_ixhaus_note(self, system: str, note_id: str) -> NoteLink | None:
        return await self._one(system, NoteLinkRow.ixhaus_note_id == note_id)

    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None:
        # Every tenant message's job asks: built once, one autocommit read.
        params = {"p_system": system, "p_message": message_id}
        async with read_connection(engine_of(self._sessions)) as conn:
            row = (await conn.execute(_BY_MESSAGE, params)).first()
        return None if row is None else NoteLink(**row._asdict())

    async def by_casavi_messages(
        self, system: str, message_ids: Sequence[str]
    ) -> dict[str, NoteLink]:
        found: dict[str, NoteLink] = {}
        wanted = list(dict.fromkeys(message_ids))
        async with read_connection(engine_of(self._sessions)) as conn:
            for start in range(0, len(wanted), _IN_LIST):
                query = select(*_COLUMNS).where(
                    NoteLinkRow.system == system,
                    NoteLinkRow.casavi_message_id.in_(wanted[start : start + _IN_LIST]),
                )
                for row in await conn.execute(query):
                    link = NoteLink(**row._asdict())
                    found[str(link.casavi_message_id)] = link
        return found

    async def _one(self, system: str, condition: ColumnElement[bool]) -> NoteLink | None:
        query = select(*_COLUMNS).where(NoteLinkRow.system == system, condition)
        async with read_connection(engine_of(self._sessions)) as conn:
            row = (await conn.execute(query.limit(1))).first()
        return None if row is None else NoteLink(**row._asdict())

    async def record(self, system: str, link: NoteLink) -> bool:
        try:
            # One INSERT in its own transaction (one round trip on PostgreSQL and SQLite).
            values = {
                "system": system,
                "ticket_number": link.ticket_number,
                "ixhaus_note_id": link.ixhaus_note_id,
                "casavi_message_id": link.casavi_message_id,
                "origin": link.origin,
            }
            await write_alone(self._sessions, _INSERT, values)
        except IntegrityError:
            return False
        return True

    async def record_many(self, system: str, links: Sequence[NoteLink]) -> dict[str, NoteLink]:
        """One look-up, one insert and one commit for a batch (the notes stage's first
        export); a concurrent writer of the same links falls back to one at a time."""
        notes = [x.ixhaus_note_id for x in links if x.ixhaus_note_id]
        messages = [x.casavi_message_id for x in links if x.casavi_message_id]
        if not links:
            return {}
        try:
            async with self._sessions() as session:
                taken = (
                    await session.execute(
                        select(NoteLinkRow.ixhaus_note_id, NoteLinkRow.casavi_message_id).where(
                            NoteLinkRow.system == system,
                            or_(
                                NoteLinkRow.ixhaus_note_id.in_(notes),
                                NoteLinkRow.casavi_message_id.in_(messages),
                            ),
                        )
                    )
                ).all()
                taken_notes = {row[0] for row in taken}
                taken_messages = {row[1] for row in taken}
                for link in links:
                    if (
                        link.ixhaus_note_id in taken_notes
                        or link.casavi_message_id in taken_messages
                    ):
                        continue
                    taken_notes.add(link.ixhaus_note_id)
                    taken_messages.add(link.casavi_message_id)
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
            for link in links:
                await self.record(system, link)
        query = select(*_COLUMNS).where(
            NoteLinkRow.system == system, NoteLinkRow.ixhaus_note_id.in_(notes)
        )
        async with self._sessions() as session:
            rows = await session.execute(query)
            found = [NoteLink(**row._asdict()) for row in rows]
        return {x.ixhaus_note_id: x for x in found if x.ixhaus_note_id}
