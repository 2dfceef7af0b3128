"""``INSERT ... ON CONFLICT DO UPDATE`` where the backend has it.

Executed with a list of rows (``session.execute(statement, rows)``): SQLAlchemy's
"insertmanyvalues" sends them as multi-row VALUES batches, and the statement compiles once
(a ``.values(rows)`` statement would compile anew for every batch, bind by bind).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    dialect: str, model: Any, *, index: Sequence[str], update: Sequence[str]
) -> Executable | None:
    """A statement writing its rows (inserted, or ``update`` columns replaced on a clash of
    ``index``); None for a backend without ON CONFLICT (Oracle: write them another way)."""
    if dialect == "postgresql":
        pg = postgresql.insert(model)
        return pg.on_conflict_do_update(
            index_elements=list(index), set_={name: pg.excluded[name] for name in update}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(model)
        return lite.on_conflict_do_update(
            index_elements=list(index), set_={name: lite.excluded[name] for name in update}
        )
    return None
