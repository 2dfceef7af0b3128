"""Multi-row ``INSERT ... ON CONFLICT DO UPDATE`` where the backend has it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    dialect: str,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    index: Sequence[str],
    update: Sequence[str],
) -> Executable | None:
    """One statement writing ``rows`` (inserted, or ``update`` columns replaced on a clash
    of ``index``); None for a backend without ON CONFLICT (Oracle: write them another way)."""
    if dialect == "postgresql":
        pg = postgresql.insert(model).values(list(rows))
        return pg.on_conflict_do_update(
            index_elements=list(index), set_={name: pg.excluded[name] for name in update}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(model).values(list(rows))
        return lite.on_conflict_do_update(
            index_elements=list(index), set_={name: lite.excluded[name] for name in update}
        )
    return None
