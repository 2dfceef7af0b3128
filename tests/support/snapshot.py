"""A copy of a test system's state to start each test of a module from, instead of building
it again per test: the gateway's rows of some tables, and the casavi simulator's state files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import app.adapters.store.models  # noqa: F401 - the gateway's tables in Base.metadata
from app.adapters.store.base import Base


def _files(state: Path) -> Path:
    return state.with_name(state.name + ".files")  # beside it, as the simulator's SimStore


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[dict[str, Any]]]  # by table, parents before children
    casavi: Path  # the simulator's SQLite file, written and closed

    def casavi_copy(self, folder: Path) -> Path:
        """A copy of the simulator's state in ``folder``, for a simulator of its own."""
        target = folder / self.casavi.name
        shutil.copyfile(self.casavi, target)
        if _files(self.casavi).exists():
            shutil.copytree(_files(self.casavi), _files(target), dirs_exist_ok=True)
        return target

    async def restore(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Insert the rows (into tables the caller emptied), on any of the backends."""
        async with sessions() as session:
            for name, rows in self.rows.items():
                if rows:
                    await session.execute(insert(Base.metadata.tables[name]), rows)
            await session.commit()


async def take(
    sessions: async_sessionmaker[AsyncSession], tables: set[str], casavi: Path
) -> Snapshot:
    """The rows of ``tables`` now; ``casavi`` must be closed before it is copied."""
    rows: dict[str, list[dict[str, Any]]] = {}
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:  # foreign keys' targets first
            if table.name in tables:
                result = await session.execute(select(table))
                rows[table.name] = [dict(row._mapping) for row in result]
    return Snapshot(rows, casavi)
