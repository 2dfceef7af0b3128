"""``sync.ports.ContractDeviations`` on the gateway's database: one row per system,
operation, field and problem, counted up (``times``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.models import ContractDeviationCount as Row
from app.sync.ports import DeviationCount

_KEY = ("system", "operation", "field", "problem")


def _row(seen: DeviationCount) -> dict[str, Any]:
    return {
        "system": seen.system[:16],
        "operation": seen.operation[:64],
        "field": seen.field[:200],
        "problem": seen.problem[:200],
        "times": seen.times,
        "first_seen_at": seen.first_seen_at,
        "last_seen_at": seen.last_seen_at,
    }


class SqlContractDeviations:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def add(self, seen: Sequence[DeviationCount]) -> None:
        if not seen:
            return
        rows = [_row(s) for s in seen]
        async with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            if dialect in ("postgresql", "sqlite"):
                module: Any = postgresql if dialect == "postgresql" else sqlite
                statement = module.insert(Row)
                statement = statement.on_conflict_do_update(
                    index_elements=list(_KEY),
                    set_={
                        "times": Row.times + statement.excluded.times,
                        "last_seen_at": statement.excluded.last_seen_at,
                    },
                )
                for row in rows:
                    await session.execute(statement.values(**row))
            else:  # Oracle: update, else insert
                for row in rows:
                    where = [getattr(Row, k) == row[k] for k in _KEY]
                    moved = await session.execute(
                        update(Row)
                        .where(*where)
                        .values(times=Row.times + row["times"], last_seen_at=row["last_seen_at"])
                    )
                    if not getattr(moved, "rowcount", 0):
                        session.add(Row(**row))
            await session.commit()

    async def of_system(self, system: str) -> list[DeviationCount]:
        query = select(Row).where(Row.system == system).order_by(Row.last_seen_at.desc())
        async with self._sessions() as session:
            return [
                DeviationCount(
                    system=r.system,
                    operation=r.operation,
                    field=r.field,
                    problem=r.problem,
                    times=r.times,
                    first_seen_at=r.first_seen_at,
                    last_seen_at=r.last_seen_at,
                )
                for r in (await session.scalars(query)).all()
            ]

    async def by_operation(self) -> dict[str, int]:
        query = select(Row.operation, func.sum(Row.times)).group_by(Row.operation)
        async with self._sessions() as session:
            return {str(op): int(n or 0) for op, n in (await session.execute(query)).all()}
