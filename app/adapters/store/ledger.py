"""The entity ledger (``sync.ports.Ledger``): what was last sent to casavi for each iX-Haus
record, and the outcome.

A run loads one entity kind's entries once (key -> fingerprint, state, casavi id: a few
dozen bytes each), decides every record, and writes back only what changed, in batches
(``ledger_writes``: one statement per batch on PostgreSQL, no read first). That is what lets
a run with nothing changed send nothing and write nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.database import engine_of, read_connection
from app.adapters.store.ledger_writes import LedgerWrites
from app.adapters.store.models import EntityLink
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.sync.ports import LedgerEntry, Outcome

_LINKS = cast(Table, EntityLink.__table__)
_BY_CASAVI_ID = (
    select(
        EntityLink.ixhaus_key,
        EntityLink.id,
        EntityLink.fingerprint,
        EntityLink.state,
        EntityLink.casavi_id,
        EntityLink.reason_code,
    )
    .where(
        EntityLink.system == bindparam("p_system"),
        EntityLink.entity_type == bindparam("p_kind"),
        EntityLink.casavi_id == bindparam("p_casavi_id"),
    )
    .order_by(EntityLink.id)
    .limit(1)
)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No automatic garbage collection inside (restored after, as it was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class SqlLedger(LedgerWrites):
    """The ledger store; ``save`` (the batch write) comes from ``LedgerWrites``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def load(self, system: str, kind: EntityKind) -> dict[str, LedgerEntry]:
        """One kind's entries by ledger key: the keys are not decoded (a run looks records
        up by ``RecordKey.ledger_key``)."""
        # Core columns (not ORM attributes): no ORM row processing for a few 100k rows.
        link = _LINKS.c
        query = select(
            link.ixhaus_key,
            link.id,
            link.fingerprint,
            link.state,
            link.casavi_id,
            link.reason_code,
            link.attempts,
            link.next_attempt_at,
            link.input_digest,
        ).where(link.system == system, link.entity_type == kind.value)
        entry = LedgerEntry
        # An autocommit read (no BEGIN/ROLLBACK), all rows fetched at once (iterating the
        # result fetched them one call per row), and no garbage collection while the rows
        # (the driver's and ours) and the 100k-entry dict are built: they hold no cycles
        # (keys and entries are gc=False structs), yet their allocation would start
        # collections over all of them - which cost as much as the read itself.
        async with read_connection(engine_of(self._sessions)) as conn:
            with _gc_paused():
                result = await conn.execute(query)
                rows = result.all()
                known = {k: entry(i, f, s, c, r, a, n, d) for k, i, f, s, c, r, a, n, d in rows}
                # Freed before collection resumes: the first allocation after it would
                # otherwise traverse every row still held.
                del rows, result
        return known

    async def identities(self, system: str, kinds: Sequence[EntityKind]) -> IdentityMap:
        link = _LINKS.c
        query = select(link.entity_type, link.ixhaus_key, link.state, link.casavi_id).where(
            link.system == system,
            link.entity_type.in_([kind.value for kind in kinds]),
            link.state.in_(("sent", "error", "pending")),
        )
        async with read_connection(engine_of(self._sessions)) as conn:
            with _gc_paused():  # as ``load``: a few 100k rows, no cycles
                result = await conn.execute(query)
                rows = result.all()
                ids = IdentityMap.of_rows(rows)
                del rows, result
        return ids

    async def is_empty(self, system: str) -> bool:
        link = _LINKS.c
        query = select(link.id).where(link.system == system).limit(1)
        async with self._sessions() as session:
            return (await session.execute(query)).first() is None

    async def entries(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        if not keys:
            return {}
        link = EntityLink
        wanted = {key.ledger_key: key for key in keys}
        query = select(
            link.ixhaus_key, link.id, link.fingerprint, link.state, link.casavi_id, link.reason_code
        ).where(
            link.system == system,
            link.entity_type.in_({key.kind.value for key in keys}),
            link.ixhaus_key.in_(list(wanted)),
        )
        async with self._sessions() as session:
            rows = await session.execute(query)
            return {wanted[row[0]]: LedgerEntry(*row[1:]) for row in rows if row[0] in wanted}

    async def field_digests(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
        link = EntityLink
        found: dict[RecordKey, str] = {}
        for kind in {key.kind for key in keys}:
            wanted = {key.ledger_key: key for key in keys if key.kind is kind}
            names = list(wanted)
            for start in range(0, len(names), 500):  # Oracle: at most 1,000 bind values
                query = select(link.ixhaus_key, link.field_digests).where(
                    link.system == system,
                    link.entity_type == kind.value,
                    link.ixhaus_key.in_(names[start : start + 500]),
                    link.field_digests.is_not(None),
                )
                async with self._sessions() as session:
                    for name, digests in await session.execute(query):
                        if digests is not None:
                            found[wanted[name]] = digests
        return found

    # -- single records (``sync.ports.LedgerLinks``, the inbound flow) -------------------
    async def by_casavi_id(
        self, system: str, kind: EntityKind, casavi_id: str
    ) -> tuple[RecordKey, LedgerEntry] | None:
        # Built once, read in autocommit: every tenant message's job asks this (twice).
        params = {"p_system": system, "p_kind": kind.value, "p_casavi_id": casavi_id}
        async with read_connection(engine_of(self._sessions)) as conn:
            row = (await conn.execute(_BY_CASAVI_ID, params)).first()
        if row is None:
            return None
        return RecordKey.from_ledger(kind.value, row[0]), LedgerEntry(*row[1:])

    async def entry(self, system: str, key: RecordKey) -> LedgerEntry | None:
        link = EntityLink
        query = select(
            link.id, link.fingerprint, link.state, link.casavi_id, link.reason_code
        ).where(
            link.system == system,
            link.entity_type == key.kind.value,
            link.ixhaus_key == key.ledger_key,
        )
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        return None if row is None else LedgerEntry(*row)

    async def link(
        self, system: str, key: RecordKey, casavi_id: str, fingerprint: str | None
    ) -> None:
        known = await self.entry(system, key)
        outcome = Outcome(key=key, state="sent", fingerprint=fingerprint, casavi_id=casavi_id)
        try:
            await self._save_one(system, key, outcome, known)
        except IntegrityError:  # a concurrent first link of the same record: update it
            await self._save_one(system, key, outcome, await self.entry(system, key))

    async def _save_one(
        self, system: str, key: RecordKey, outcome: Outcome, known: LedgerEntry | None
    ) -> None:
        entries = {key.ledger_key: known} if known else {}
        await self.save(system, key.kind, [outcome], entries, run_id=None)
