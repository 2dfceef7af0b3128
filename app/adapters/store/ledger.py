"""The entity ledger (``sync.ports.Ledger``): what was last sent to casavi for each iX-Haus
record, and the outcome.

A run loads one entity kind's entries once (key -> fingerprint, state, casavi id: a few
dozen bytes each), decides every record, and writes back only what changed, in bulk: one
``INSERT ... ON CONFLICT DO UPDATE`` sent as multi-row batches on PostgreSQL and SQLite (no read
first), an insert of the new rows plus an update by id elsewhere (Oracle). That is what lets
a run with nothing changed send nothing and write nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.adapters.store.upsert import upsert
from app.domain.keys import EntityKind, RecordKey
from app.sync.ports import LedgerEntry, Outcome

_KEY = ("system", "entity_type", "ixhaus_key")
_UPDATED = (
    "fingerprint",
    "state",
    "casavi_id",
    "reason_code",
    "last_error",
    "attempts",
    "next_attempt_at",
    "updated_at",
)


class SqlLedger:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def load(self, system: str, kind: EntityKind) -> dict[RecordKey, LedgerEntry]:
        link = EntityLink
        query = select(
            link.ixhaus_key,
            link.id,
            link.fingerprint,
            link.state,
            link.casavi_id,
            link.reason_code,
            link.attempts,
            link.next_attempt_at,
        ).where(link.system == system, link.entity_type == kind.value)
        async with self._sessions() as session:
            rows = await session.execute(query)
            return {
                RecordKey.from_ledger(kind.value, row[0]): LedgerEntry(*row[1:]) for row in rows
            }

    async def save(
        self,
        system: str,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[RecordKey, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        """Write the outcomes of one batch and their protocol entries (rule L3) in one commit."""
        if not outcomes:
            return
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "system": system,
                "entity_type": kind.value,
                "ixhaus_key": outcome.key.ledger_key,
                "fingerprint": outcome.fingerprint,
                "state": outcome.state,
                "casavi_id": outcome.casavi_id,
                "reason_code": outcome.reason_code,
                "last_error": outcome.error[:1000] if outcome.error else None,
                "attempts": outcome.attempts,
                "next_attempt_at": outcome.next_attempt_at,
                "created_at": now,
                "updated_at": now,
            }
            for outcome in outcomes
        ]
        protocol = [
            {
                "run_id": run_id,
                "system": system,
                "entity_type": kind.value,
                "entity_key": o.key.ledger_key,
                "outcome": o.state,
                "reason_code": o.reason_code,
                "message": o.error[:1000] if o.error else None,
                "created_at": now,
            }
            for o in outcomes
        ]
        async with self._sessions() as session:
            statement = upsert(
                session.get_bind().dialect.name, EntityLink, index=_KEY, update=_UPDATED
            )
            if statement is not None:
                await session.execute(statement, rows)
            else:
                await self._insert_or_update(session, rows, outcomes, known)
            await session.execute(insert(ProtocolEntry), protocol)
            await session.commit()

    @staticmethod
    async def _insert_or_update(
        session: AsyncSession,
        rows: list[dict[str, Any]],
        outcomes: Sequence[Outcome],
        known: dict[RecordKey, LedgerEntry],
    ) -> None:
        # Oracle has no ON CONFLICT; the run's ``known`` entries say which rows exist.
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for outcome, row in zip(outcomes, rows, strict=True):
            entry = known.get(outcome.key)
            if entry is None:
                new.append(row)
            else:
                changed.append({"id": entry.id, **{name: row[name] for name in _UPDATED}})
        if new:
            await session.execute(insert(EntityLink), new)
        if changed:
            await session.execute(update(EntityLink), changed)
