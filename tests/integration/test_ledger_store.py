"""The ledger's batch write on both backends the gateway promises: PostgreSQL (each column
one array parameter, one statement per batch) and SQLite (the rows' upsert) write the same
rows and the same protocol lines (rule L3)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import event, select

from app.adapters.store import ledger_writes
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.ledger import SqlLedger
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.domain.keys import EntityKind, RecordKey
from app.sync.ports import Outcome

UNIT = EntityKind.UNIT
LATER = dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def _key(n: int) -> RecordKey:
    return RecordKey(UNIT, ("1001", str(n)))


def _sent(n: int, fingerprint: str = "f1") -> Outcome:
    return Outcome(
        key=_key(n),
        state="sent",
        fingerprint=fingerprint,
        casavi_id=f"cv-{n}",
        field_digests='{"name":"0000abcd"}',
        input_digest=f"in-{n}",
    )


async def _rows(url: str, system: str) -> tuple[dict[str, Any], list[Any]]:
    """The system's ledger rows by key, and its protocol lines in the order written."""
    links, protocol = EntityLink.__table__, ProtocolEntry.__table__
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(links).where(links.c.system == system))
            lines = await conn.execute(
                select(
                    protocol.c.entity_key,
                    protocol.c.outcome,
                    protocol.c.reason_code,
                    protocol.c.message,
                )
                .where(protocol.c.system == system)
                .order_by(protocol.c.id)
            )
            return {row["ixhaus_key"]: dict(row) for row in rows.mappings()}, [
                tuple(line) for line in lines
            ]
    finally:
        await engine.dispose()


async def test_a_batch_is_written_and_written_over_alike_on_both_backends(
    backend_url: str,
) -> None:
    await _write_twice_and_check(backend_url)


async def test_without_on_conflict_a_batch_is_inserted_and_updated_by_id(
    migrated_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Oracle has no ON CONFLICT: the rows the loaded entries do not hold are inserted, the
    # rest updated by id; a row written meanwhile (here: all of the second batch, as nothing
    # is passed as loaded) turns its insert into an update. Run on SQLite, its upsert off.
    monkeypatch.setattr(ledger_writes, "upsert", lambda *a, **k: None)
    await _write_twice_and_check(migrated_sqlite)


async def _write_twice_and_check(backend_url: str) -> None:
    engine = create_engine(backend_url)
    ledger = SqlLedger(create_session_factory(engine))
    statements: list[bool] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool) -> None:
        if "entity_links" in statement or "protocol_entries" in statement:
            statements.append(many)

    try:
        system = uuid.uuid4().hex[:12]  # the session's databases are shared
        await ledger.save(system, UNIT, [_sent(n) for n in range(300)], {}, run_id=None)
        if engine.dialect.name == "postgresql":
            # One statement per table for the whole batch, each column one array.
            assert statements == [False, False]
        error = Outcome(
            key=_key(1),
            state="error",
            error="casavi said no " + "x" * 2000,
            attempts=2,
            next_attempt_at=LATER,
        )
        again = [_sent(0, "f2"), error, _sent(2, "f2"), _sent(2, "f3"), _sent(300)]
        pending = Outcome(key=_key(301), state="pending")
        await ledger.save(system, UNIT, [*again, pending], {}, run_id=None)
    finally:
        await engine.dispose()

    mine, lines = await _rows(backend_url, system)
    assert len(mine) == 302
    first, failed, twice = (
        mine[_key(0).ledger_key],
        mine[_key(1).ledger_key],
        mine[_key(2).ledger_key],
    )
    assert (first["fingerprint"], first["state"], first["casavi_id"]) == ("f2", "sent", "cv-0")
    assert (first["input_digest"], first["field_digests"]) == ("in-0", '{"name":"0000abcd"}')
    assert first["updated_at"] >= first["created_at"]
    assert (failed["state"], failed["attempts"], failed["fingerprint"]) == ("error", 2, None)
    assert failed["last_error"] == ("casavi said no " + "x" * 2000)[:1000]
    assert failed["next_attempt_at"] == LATER  # the same moment, stored in UTC
    assert twice["fingerprint"] == "f3"  # a key twice in one batch: the last outcome wins
    assert mine[_key(301).ledger_key]["state"] == "pending"
    # Every outcome but the pending mark has its line, in the order of the batch.
    assert len(lines) == 300 + 5
    assert lines[300:] == [
        (_key(0).ledger_key, "sent", None, None),
        (_key(1).ledger_key, "error", None, ("casavi said no " + "x" * 2000)[:1000]),
        (_key(2).ledger_key, "sent", None, None),
        (_key(2).ledger_key, "sent", None, None),
        (_key(300).ledger_key, "sent", None, None),
    ]


async def test_a_naive_moment_is_refused_before_anything_is_written(backend_url: str) -> None:
    engine = create_engine(backend_url)
    ledger = SqlLedger(create_session_factory(engine))
    system = uuid.uuid4().hex[:12]
    naive = Outcome(
        key=_key(9), state="error", error="x", attempts=1, next_attempt_at=dt.datetime(2026, 12, 8)
    )
    try:
        with pytest.raises(Exception, match="naive datetime"):
            await ledger.save(system, UNIT, [_sent(8), naive], {}, run_id=None)
    finally:
        await engine.dispose()
    assert await _rows(backend_url, system) == ({}, [])
