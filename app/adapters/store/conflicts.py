"""Conflicts and ticket field bases (``sync.ports.Conflicts``).

The base of a ticket is the value of each two-way field as last synced (both sides agreed
on it); a change on one side is measured against it, and only a field changed on both sides
since is a conflict.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, bindparam, cast, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.database import engine_of, read_connection, write_alone
from app.adapters.store.models import FieldConflict, TicketFieldBase
from app.domain.keys import TicketNumber
from app.sync.ports import ConflictRecord, ConflictSide, NewConflict

_ENTITY = "ticket"


def _record(row: FieldConflict) -> ConflictRecord:
    return ConflictRecord(
        id=row.id,
        system=row.system,
        ticket_number=row.entity_key,
        field=row.field,
        base_value=row.base_value,
        ixhaus_value=row.ixhaus_value,
        casavi_value=row.casavi_value,
        policy=row.policy,
        resolution=row.resolution,
        resolved_value=row.resolved_value,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        created_at=row.created_at,
    )


class SqlConflicts:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def base(self, system: str, ticket: TicketNumber) -> dict[str, str | None]:
        params = {"p_system": system, "p_ticket": str(ticket)}
        async with read_connection(engine_of(self._sessions)) as conn:
            fields = await conn.scalar(_BASE, params)
        return dict(fields) if fields is not None else {}

    async def set_base(
        self, system: str, ticket: TicketNumber, fields: dict[str, str | None]
    ) -> None:
        ticket_number = str(ticket)  # kept as text
        if engine_of(self._sessions).dialect.name == "postgresql":
            # Every note a tenant writes moves its base: one statement in its own transaction
            # (one round trip), merged by the server under the row's lock, instead of a
            # session's BEGIN, SELECT ... FOR UPDATE, UPDATE and COMMIT.
            params = {
                "p_system": system,
                "p_ticket": ticket_number,
                "p_fields": dict(fields),
                "p_now": utcnow(),
            }
            await write_alone(self._sessions, _MERGE_BASE, params)
            return
        for _ in range(3):  # a concurrent first insert of the same ticket: merge into it
            try:
                async with self._sessions() as session:
                    row = await session.get(
                        TicketFieldBase, (system, ticket_number), with_for_update=True
                    )
                    if row is None:
                        session.add(
                            TicketFieldBase(
                                system=system, ticket_number=ticket_number, fields=dict(fields)
                            )
                        )
                    else:
                        merged: dict[str, Any] = {**row.fields, **fields}
                        row.fields = merged
                        row.updated_at = utcnow()
                    await session.commit()
                return
            except IntegrityError:
                continue
        raise RuntimeError(f"could not store the base of ticket {ticket_number}")

    async def add(self, system: str, conflict: NewConflict) -> int:
        now = utcnow()
        row = FieldConflict(
            system=system,
            entity_type=_ENTITY,
            entity_key=conflict.ticket_number,
            field=conflict.field,
            ixhaus_value=conflict.ixhaus_value,
            casavi_value=conflict.casavi_value,
            base_value=conflict.base_value,
            policy=conflict.policy,
            resolution=conflict.resolution,
            resolved_by="policy" if conflict.resolution else None,
            resolved_at=now if conflict.resolution else None,
            created_at=now,
        )
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
            return row.id

    async def get(self, system: str, conflict_id: int) -> ConflictRecord | None:
        async with self._sessions() as session:
            row = await session.get(FieldConflict, conflict_id)
            return None if row is None or row.system != system else _record(row)

    async def list(
        self, system: str, *, open_only: bool, limit: int, after_id: int = 0
    ) -> list[ConflictRecord]:
        query = (
            select(FieldConflict)
            .where(FieldConflict.system == system, FieldConflict.id > after_id)
            .order_by(FieldConflict.id)
            .limit(limit)
        )
        if open_only:
            query = query.where(FieldConflict.resolution.is_(None))
        async with self._sessions() as session:
            return [_record(row) for row in await session.scalars(query)]

    async def resolve(
        self, system: str, conflict_id: int, *, side: ConflictSide, value: str | None, actor: str
    ) -> ConflictRecord | None:
        async with self._sessions() as session:
            await session.execute(
                update(FieldConflict)
                .where(
                    FieldConflict.id == conflict_id,
                    FieldConflict.system == system,
                    FieldConflict.resolution.is_(None),
                )
                .values(
                    resolution=side,
                    resolved_value=value,
                    resolved_by=actor[:128],
                    resolved_at=utcnow(),
                )
            )
            await session.commit()
        return await self.get(system, conflict_id)


def _merge_base_statement() -> Any:
    """PostgreSQL: insert the base, or merge the fields given into the stored ones (jsonb
    ``||``: a field given wins, the others stay - the merge of the session path). Built
    once (``_MERGE_BASE``): constructing it cost more CPU than running it."""
    new = pg_insert(TicketFieldBase).values(
        system=bindparam("p_system"),
        ticket_number=bindparam("p_ticket"),
        fields=bindparam("p_fields", type_=TicketFieldBase.__table__.c.fields.type),
        updated_at=bindparam("p_now"),
    )
    merged = cast(TicketFieldBase.fields, JSONB).op("||")(cast(new.excluded.fields, JSONB))
    return new.on_conflict_do_update(
        index_elements=["system", "ticket_number"],
        set_={"fields": cast(merged, Text), "updated_at": new.excluded.updated_at},
    )


_MERGE_BASE = _merge_base_statement()
_BASE = select(TicketFieldBase.fields).where(
    TicketFieldBase.system == bindparam("p_system"),
    TicketFieldBase.ticket_number == bindparam("p_ticket"),
)
