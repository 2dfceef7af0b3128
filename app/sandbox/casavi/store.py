"""The simulator's persistent state: one SQLite file (stdlib sqlite3) plus a folder of files.

Every casavi record is a JSON document keyed by (kind, parent, reference id); ``internalId``
is the row id. Uploaded files live next to the database as ``<state>.files/<internalId>``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    internal_id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    ref TEXT NOT NULL,
    data TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (kind, parent, ref)
);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, expires_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_property
    ON records (kind, json_extract(data, '$.propertyId'));
CREATE INDEX IF NOT EXISTS records_by_modification ON records (kind, parent, modified_at);
"""
# A condition on the JSON document: an SQL fragment written in this package, and its values.
Where = tuple[str, tuple[Any, ...]]
BY_CREATION = "internal_id"
BY_MODIFICATION = "modified_at, internal_id"


def now_utc() -> str:
    """casavi's timestamp form, sortable as text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Duplicate(Exception):
    """A record with this reference id exists."""


class SimStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = path.with_name(path.name + ".files")
        self.files.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def insert(
        self, kind: str, ref: str, build: Callable[[int], Record], parent: str = ""
    ) -> Record:
        """Store ``build(internal_id)`` under a new reference id, or raise ``Duplicate``."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                cursor = self._db.execute(
                    "INSERT INTO records (kind, parent, ref, data, modified_at) VALUES (?,?,?,?,?)",
                    (kind, parent, ref, "{}", now_utc()),
                )
                internal_id = int(cursor.lastrowid or 0)
                record = build(internal_id)
                self._db.execute(
                    "UPDATE records SET data = ? WHERE internal_id = ?",
                    (json.dumps(record), internal_id),
                )
                self._db.execute("COMMIT")
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK")
                raise Duplicate(ref) from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return record

    def get(self, kind: str, ref: str, parent: str = "") -> Record | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM records WHERE kind = ? AND parent = ? AND ref = ?",
                (kind, parent, ref),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(
        self, kind: str, ref: str, record: Record, parent: str = "", stamp: str | None = None
    ) -> bool:
        """Replace a record; ``stamp`` (default now) becomes its modification time."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE records SET data = ?, modified_at = ? "
                "WHERE kind = ? AND parent = ? AND ref = ?",
                (json.dumps(record), stamp or now_utc(), kind, parent, ref),
            )
        return cursor.rowcount == 1

    def delete(self, kind: str, ref: str, parent: str = "") -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM records WHERE kind = ? AND parent = ? AND ref = ?",
                (kind, parent, ref),
            )
        return cursor.rowcount == 1

    def delete_children(self, kind: str, parent: str) -> int:
        """Delete every record of ``kind`` under ``parent``; how many went."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM records WHERE kind = ? AND parent = ?", (kind, parent)
            )
        return cursor.rowcount

    def page(
        self,
        kind: str,
        *,
        offset: int,
        limit: int,
        parent: str = "",
        modified_after: str | None = None,
        where: tuple[Where, ...] = (),
        order: str = BY_CREATION,
    ) -> tuple[list[Record], bool]:
        """One page (in creation or modification order), and whether more follow."""
        sql = "SELECT data FROM records WHERE kind = ? AND parent = ?"
        args: list[Any] = [kind, parent]
        if modified_after is not None:
            sql += " AND modified_at > ?"
            args.append(modified_after)
        for condition, values in where:
            sql += f" AND ({condition})"
            args.extend(values)
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        args.extend([limit + 1, offset])
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [dict(json.loads(row[0])) for row in rows[:limit]], len(rows) > limit

    def find(self, kind: str, *where: Where) -> list[Record]:
        """Every record of ``kind`` meeting the conditions, in creation order."""
        sql = "SELECT data FROM records WHERE kind = ?"
        args: list[Any] = [kind]
        for condition, values in where:
            sql += f" AND ({condition})"
            args.extend(values)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY internal_id", args).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def contracts_on(self, unit_ids: list[str]) -> list[tuple[str, Record]]:
        """(contact id, contract) for every contact contract on one of ``unit_ids``."""
        if not unit_ids:
            return []
        sql = (
            "SELECT r.ref, c.value FROM records r, json_each(r.data, '$.contracts') c "
            "WHERE r.kind = 'contacts' "
            "AND json_extract(c.value, '$.unitId') IN (SELECT value FROM json_each(?)) "
            "ORDER BY r.internal_id"
        )
        with self._lock:
            rows = self._db.execute(sql, (json.dumps(unit_ids),)).fetchall()
        return [(str(row[0]), dict(json.loads(row[1]))) for row in rows]

    def all(self, kind: str) -> list[Record]:
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM records WHERE kind = ? ORDER BY internal_id", (kind,)
            ).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def count(self, kind: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM records WHERE kind = ?", (kind,)
            ).fetchone()
        return int(row[0])

    # ---------------------------------------------------------------- tokens
    def issue_token(self, token: str, expires_at: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO tokens VALUES (?, ?)", (token, expires_at))

    def token_valid(self, token: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT expires_at FROM tokens WHERE token = ?", (token,)
            ).fetchone()
        return row is not None and str(row[0]) > now_utc()

    def revoke_tokens(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM tokens")
