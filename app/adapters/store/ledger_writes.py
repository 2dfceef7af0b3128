"""The ledger's batch write (``SqlLedger.save``): a batch of outcomes becomes its ledger rows
and its protocol lines (rule L3) in one commit, without reading first.

- **PostgreSQL:** each column of the batch travels as one array parameter and the server
  unnests them (``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE``): one statement
  and one parameter set per batch, whatever its size. SQLAlchemy builds no parameters per
  row and asyncpg encodes each array in C. (A first export of ``large`` writes about 390k
  ledger rows, 390k protocol lines and 176k write-ahead marks; row by row, that was the
  largest share of the run's own CPU.)
- **SQLite:** ``INSERT ... ON CONFLICT DO UPDATE`` executed with the rows.
- **Elsewhere (Oracle):** an insert of the rows ``known`` does not hold plus an update of the
  rest by id; a row written meanwhile (a trigger of iX-Haus plus linked the record after
  ``known`` was loaded) turns an insert into an update.

Everywhere a key already in the ledger is updated, and within one batch the last outcome for
a key wins, as it would row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.database import engine_of
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.adapters.store.upsert import upsert
from app.domain.keys import EntityKind
from app.sync.ports import LedgerEntry, Outcome

_LINKS = cast(Table, EntityLink.__table__)
_PROTOCOL = cast(Table, ProtocolEntry.__table__)
_KEY = ("system", "entity_type", "ixhaus_key")
_UPDATED = (
    "fingerprint",
    "state",
    "casavi_id",
    "reason_code",
    "last_error",
    "attempts",
    "next_attempt_at",
    "field_digests",
    "input_digest",
    "updated_at",
)

# PostgreSQL: the batch as arrays, one per column.
_UPSERT_ARRAYS = text(
    "INSERT INTO entity_links (system, entity_type, ixhaus_key, fingerprint, state, casavi_id,"
    " reason_code, last_error, attempts, next_attempt_at, field_digests, input_digest,"
    " created_at, updated_at)"
    " SELECT CAST(:system AS varchar), CAST(:entity_type AS varchar), ixhaus_key, fingerprint,"
    " state, casavi_id, reason_code, last_error, attempts, next_attempt_at, field_digests,"
    " input_digest, CAST(:now AS timestamptz), CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:ixhaus_key AS varchar[]), CAST(:fingerprint AS varchar[]),"
    " CAST(:state AS varchar[]), CAST(:casavi_id AS varchar[]), CAST(:reason_code AS varchar[]),"
    " CAST(:last_error AS varchar[]), CAST(:attempts AS integer[]),"
    " CAST(:next_attempt_at AS timestamptz[]), CAST(:field_digests AS text[]),"
    " CAST(:input_digest AS varchar[]))"
    " AS batch(ixhaus_key, fingerprint, state, casavi_id, reason_code, last_error, attempts,"
    " next_attempt_at, field_digests, input_digest)"
    " ON CONFLICT (system, entity_type, ixhaus_key) DO UPDATE SET"
    " fingerprint = excluded.fingerprint, state = excluded.state,"
    " casavi_id = excluded.casavi_id, reason_code = excluded.reason_code,"
    " last_error = excluded.last_error, attempts = excluded.attempts,"
    " next_attempt_at = excluded.next_attempt_at, field_digests = excluded.field_digests,"
    " input_digest = excluded.input_digest, updated_at = excluded.updated_at"
)
_INSERT_PROTOCOL_ARRAYS = text(
    "INSERT INTO protocol_entries (run_id, system, entity_type, entity_key, outcome,"
    " reason_code, message, created_at)"
    " SELECT CAST(:run_id AS integer), CAST(:system AS varchar), CAST(:entity_type AS varchar),"
    " entity_key, outcome, reason_code, message, CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:entity_key AS varchar[]), CAST(:outcome AS varchar[]),"
    " CAST(:reason_code AS varchar[]), CAST(:message AS varchar[]))"
    " AS batch(entity_key, outcome, reason_code, message)"
)


class LedgerWrites:
    """``SqlLedger.save`` (a base of ``SqlLedger``: no frame between the run's ledger writer
    and the write)."""

    _sessions: async_sessionmaker[AsyncSession]

    async def save(
        self,
        system: str,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        """Write the outcomes of one batch and their protocol entries (rule L3) in one
        commit."""
        if not outcomes:
            return
        now = utcnow()
        if engine_of(self._sessions).dialect.name != "postgresql":
            await _save_rows(self._sessions, system, kind, outcomes, known, run_id, now)
            return
        scalars = {"system": system, "entity_type": kind.value, "now": _utc(now)}
        async with self._sessions() as session:
            await session.execute(_UPSERT_ARRAYS, {**scalars, **_link_arrays(outcomes)})
            lines = [o for o in outcomes if o.protocol_outcome is not None]
            if lines:
                arrays = {**scalars, "run_id": run_id, **_line_arrays(lines)}
                await session.execute(_INSERT_PROTOCOL_ARRAYS, arrays)
            await session.commit()


async def _save_rows(
    sessions: async_sessionmaker[AsyncSession],
    system: str,
    kind: EntityKind,
    outcomes: Sequence[Outcome],
    known: dict[str, LedgerEntry],
    run_id: int | None,
    now: dt.datetime,
) -> None:
    """SQLite (the rows' upsert) and Oracle (insert, update by id)."""
    last = {o.key.ledger_key: o for o in outcomes}
    rows = [_row(system, kind, outcome, now) for outcome in last.values()]
    protocol = _lines(system, kind, outcomes, run_id, now)
    statement = upsert(engine_of(sessions).dialect.name, _LINKS, index=_KEY, update=_UPDATED)
    if statement is not None:
        async with sessions() as session:
            await session.execute(statement, rows)
            if protocol:
                await session.execute(insert(_PROTOCOL), protocol)
            await session.commit()
        return
    new, changed = _split(rows, known)
    try:
        await _insert_and_update(sessions, new, changed, protocol)
    except IntegrityError:
        if not new:
            raise
        new, changed = await _resolve(sessions, system, kind, new, changed)
        await _insert_and_update(sessions, new, changed, protocol)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given; the gateway stores UTC-aware timestamps")
    return value.astimezone(dt.UTC)


def _error(message: str | None) -> str | None:
    return message[:1000] if message else None


def _link_arrays(outcomes: Sequence[Outcome]) -> dict[str, list[Any]]:
    links = list({o.key.ledger_key: o for o in outcomes}.values())  # a key twice: the last
    return {
        "ixhaus_key": [o.key.ledger_key for o in links],
        "fingerprint": [o.fingerprint for o in links],
        "state": [o.state for o in links],
        "casavi_id": [o.casavi_id for o in links],
        "reason_code": [o.reason_code for o in links],
        "last_error": [_error(o.error) for o in links],
        "attempts": [o.attempts for o in links],
        "next_attempt_at": [_utc(o.next_attempt_at) for o in links],
        "field_digests": [o.field_digests for o in links],
        "input_digest": [o.input_digest for o in links],
    }


def _line_arrays(lines: Sequence[Outcome]) -> dict[str, list[Any]]:
    return {
        "entity_key": [o.key.ledger_key for o in lines],
        "outcome": [o.protocol_outcome for o in lines],
        "reason_code": [o.reason_code for o in lines],
        "message": [_error(o.error) for o in lines],
    }


def _row(system: str, kind: EntityKind, outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
    return {
        "system": system,
        "entity_type": kind.value,
        "ixhaus_key": outcome.key.ledger_key,
        "fingerprint": outcome.fingerprint,
        "state": outcome.state,
        "casavi_id": outcome.casavi_id,
        "reason_code": outcome.reason_code,
        "last_error": _error(outcome.error),
        "attempts": outcome.attempts,
        "next_attempt_at": outcome.next_attempt_at,
        "field_digests": outcome.field_digests,
        "input_digest": outcome.input_digest,
        "created_at": now,
        "updated_at": now,
    }


def _lines(
    system: str,
    kind: EntityKind,
    outcomes: Sequence[Outcome],
    run_id: int | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "system": system,
            "entity_type": kind.value,
            "entity_key": o.key.ledger_key,
            "outcome": o.protocol_outcome,
            "reason_code": o.reason_code,
            "message": _error(o.error),
            "created_at": now,
        }
        for o in outcomes
        if o.protocol_outcome is not None
    ]


# -- Oracle: no ON CONFLICT -------------------------------------------------------------------
def _split(
    rows: list[dict[str, Any]], known: dict[str, LedgerEntry]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows ``known`` does not hold (inserts), and the rest as updates by id."""
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        entry = known.get(row["ixhaus_key"])
        if entry is None:
            new.append(row)
        else:
            changed.append({"id": entry.id, **{name: row[name] for name in _UPDATED}})
    return new, changed


async def _insert_and_update(
    sessions: async_sessionmaker[AsyncSession],
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    protocol: list[dict[str, Any]],
) -> None:
    async with sessions() as session:
        if new:
            await session.execute(insert(EntityLink), new)
        if changed:
            await session.execute(update(EntityLink), changed)
        if protocol:
            await session.execute(insert(ProtocolEntry), protocol)
        await session.commit()


async def _resolve(
    sessions: async_sessionmaker[AsyncSession],
    system: str,
    kind: EntityKind,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A trigger of iX-Haus plus linked some of ``new`` after ``known`` was loaded: those
    become updates of the rows it wrote."""
    link = EntityLink
    query = select(link.ixhaus_key, link.id).where(
        link.system == system,
        link.entity_type == kind.value,
        link.ixhaus_key.in_([row["ixhaus_key"] for row in new]),
    )
    async with sessions() as session:
        ids = {row[0]: row[1] for row in await session.execute(query)}
    still_new = [row for row in new if row["ixhaus_key"] not in ids]
    moved = [
        {"id": ids[row["ixhaus_key"]], **{k: row[k] for k in _UPDATED}}
        for row in new
        if row["ixhaus_key"] in ids
    ]
    return still_new, [*changed, *moved]
