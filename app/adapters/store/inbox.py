"""The inbound inbox (``sync.ports.Inbox``): events stored once, per-ticket leases, the
poll cursor.

Duplicates are kept out by the unique (source, external id) constraint: PostgreSQL and
SQLite skip them with ``ON CONFLICT DO NOTHING``; other dialects (Oracle) insert one by one
and treat the unique violation as "stored already". A lease is claimed with a conditional
UPDATE (free or expired -> mine), which every dialect runs atomically.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.database import engine_of, read_connection, write_alone
from app.adapters.store.models import InboundCursor, InboundLease
from app.adapters.store.models import InboxEvent as Row
from app.domain.ids import stored_id
from app.sync.ports import OWN_WRITE_EVENT, InboxEvent, NewInboxEvent

# The column's length (String(128)): longer event ids are stored as head + digest.
EXTERNAL_ID_LENGTH = 128
_COLUMNS = tuple(getattr(Row, name) for name in InboxEvent.__struct_fields__)


# The per-ticket job's statements, built once: every callback's job runs each of them (a
# statement built per call cost about as much CPU again as running it - construction and
# its cache key - measured on the claim: 1.18 ms -> 0.50 ms).
_LEASE = InboundLease
_PENDING = (
    select(*_COLUMNS)
    .where(
        Row.system == bindparam("p_system"),
        Row.ticket_ref == bindparam("p_ticket"),
        Row.status == "received",
    )
    .order_by(Row.occurred_at, Row.id)
)
_CLAIM = (
    update(_LEASE)
    .where(
        _LEASE.system == bindparam("p_system"),
        _LEASE.ticket_ref == bindparam("p_ticket"),
        or_(
            _LEASE.holder.is_(None),
            _LEASE.expires_at < bindparam("p_now"),
            _LEASE.holder == bindparam("p_holder"),
        ),
    )
    .values(holder=bindparam("p_holder"), expires_at=bindparam("p_until"))
)
_RELEASE = (
    update(_LEASE)
    .where(
        _LEASE.system == bindparam("p_system"),
        _LEASE.ticket_ref == bindparam("p_ticket"),
        _LEASE.holder == bindparam("p_holder"),
    )
    .values(holder=None, expires_at=None)
)
_DONE = (
    update(Row)
    .where(Row.id == bindparam("p_id"))
    .values(
        status="done",
        processed_at=bindparam("p_now"),
        attempts=Row.attempts + 1,
        last_error=None,
        next_attempt_at=None,
    )
)
_UNPARK = (
    update(Row)
    .where(
        Row.system == bindparam("p_system"),
        Row.ticket_ref == bindparam("p_ticket"),
        Row.status == "parked",
    )
    .values(status="received", next_attempt_at=None)
)


@functools.cache
def _skip_duplicates(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING external_id (compiled once, cached)."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = Row.__table__
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(table.c.external_id)
    )


def source_of(system: str) -> str:
    return f"casavi:{system}"


def _view(row: Any) -> InboxEvent:
    return InboxEvent(**row._asdict())


class SqlInbox:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._engine = engine_of(session_factory)

    # -- storing -------------------------------------------------------------------------
    async def add(
        self, system: str, events: Sequence[NewInboxEvent], *, done: bool = False
    ) -> list[NewInboxEvent]:
        if not events:
            return []
        now = utcnow()
        rows = [
            {
                "source": source_of(system),
                # Never cut before the uniqueness check (issue 23 item 5): a long id is kept
                # as its head and a digest of the whole.
                "external_id": stored_id(e.external_id, EXTERNAL_ID_LENGTH),
                "system": system,
                "event_type": e.event_type[:64],
                "ticket_ref": e.ticket_ref[:128],
                "occurred_at": e.occurred_at,
                "received_at": now,
                "payload": e.payload,
                "status": "done" if done else "received",
                "processed_at": now if done else None,
                "attempts": 0,
            }
            for e in events
        ]
        dialect = self._engine.dialect.name
        if dialect in ("postgresql", "sqlite"):
            # One cached statement, one round trip: autocommit makes the single INSERT its
            # own transaction (durable once it returns) without BEGIN and COMMIT trips.
            statement = _skip_duplicates(dialect)
            async with self._engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                result = await auto.execute(statement, rows)
                stored = {row[0] for row in result.all()}
            return [e for e in events if stored_id(e.external_id, EXTERNAL_ID_LENGTH) in stored]
        stored_events: list[NewInboxEvent] = []
        for event, row in zip(events, rows, strict=True):
            try:
                async with self._sessions() as session:
                    await session.execute(insert(Row).values(row))
                    await session.commit()
                stored_events.append(event)
            except IntegrityError:
                continue
        return stored_events

    # -- processing ----------------------------------------------------------------------
    async def pending(self, system: str, ticket_ref: str) -> list[InboxEvent]:
        params = {"p_system": system, "p_ticket": ticket_ref}
        async with read_connection(self._engine) as conn:
            return [_view(row) for row in await conn.execute(_PENDING, params)]

    async def claim(self, system: str, ticket_ref: str, holder: str, seconds: float) -> bool:
        now = utcnow()
        lease = InboundLease
        take = {
            "p_system": system,
            "p_ticket": ticket_ref,
            "p_now": now,
            "p_holder": holder,
            "p_until": now + dt.timedelta(seconds=seconds),
        }
        if await self._write_one(_CLAIM, take) == 1:
            return True
        async with self._sessions() as session:
            exists = await session.get(lease, (system, ticket_ref))
            if exists is not None:
                return False
        try:
            async with self._sessions() as session:
                session.add(
                    lease(
                        system=system,
                        ticket_ref=ticket_ref,
                        holder=holder,
                        expires_at=now + dt.timedelta(seconds=seconds),
                    )
                )
                await session.commit()
        except IntegrityError:  # someone else created (and holds) it just now
            return False
        return True

    async def release(self, system: str, ticket_ref: str, holder: str) -> None:
        params = {"p_system": system, "p_ticket": ticket_ref, "p_holder": holder}
        await self._write_one(_RELEASE, params)

    async def done(self, event_id: int) -> None:
        await self._write_one(_DONE, {"p_id": event_id, "p_now": utcnow()})

    async def _write_one(self, statement: Any, params: dict[str, Any] | None = None) -> int:
        return await write_alone(self._sessions, statement, params)

    async def park(self, event_ids: Sequence[int], reason: str, retry_at: dt.datetime) -> None:
        if not event_ids:
            return
        async with self._sessions() as session:
            await session.execute(
                update(Row)
                .where(Row.id.in_(list(event_ids)), Row.status == "received")
                .values(
                    status="parked",
                    attempts=Row.attempts + 1,
                    last_error=reason[:1000],
                    next_attempt_at=retry_at,
                )
            )
            await session.commit()

    async def unpark(self, system: str, ticket_ref: str) -> int:
        return await self._write_one(_UNPARK, {"p_system": system, "p_ticket": ticket_ref})

    # -- operators -----------------------------------------------------------------------
    async def get(self, system: str, event_id: int) -> InboxEvent | None:
        query = select(*_COLUMNS).where(Row.id == event_id, Row.system == system)
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        return None if row is None else _view(row)

    async def list(
        self, system: str, *, status: str | None, limit: int, after_id: int = 0
    ) -> list[InboxEvent]:
        query = (
            select(*_COLUMNS)
            .where(Row.system == system, Row.id > after_id, Row.event_type != OWN_WRITE_EVENT)
            .order_by(Row.id)
            .limit(limit)
        )
        if status is not None:
            query = query.where(Row.status == status)
        async with read_connection(self._engine) as conn:
            return [_view(row) for row in await conn.execute(query)]

    async def _move(
        self, system: str, event_id: int, frm: Sequence[str], values: dict[str, Any]
    ) -> InboxEvent | None:
        async with self._sessions() as session:
            await session.execute(
                update(Row)
                .where(Row.id == event_id, Row.system == system, Row.status.in_(list(frm)))
                .values(**values)
            )
            await session.commit()
        return await self.get(system, event_id)

    async def retry(self, system: str, event_id: int) -> InboxEvent | None:
        return await self._move(
            system, event_id, ("parked",), {"status": "received", "next_attempt_at": None}
        )

    async def discard(self, system: str, event_id: int) -> InboxEvent | None:
        return await self._move(
            system,
            event_id,
            ("parked", "received"),
            {"status": "discarded", "processed_at": utcnow(), "next_attempt_at": None},
        )

    async def due(
        self, now: dt.datetime, older_than: dt.datetime
    ) -> builtins.list[tuple[str, str]]:
        parked_due = and_(Row.status == "parked", Row.next_attempt_at <= now)
        async with self._sessions() as session:
            await session.execute(
                update(Row).where(parked_due).values(status="received", next_attempt_at=None)
            )
            await session.commit()
            query = (
                select(Row.system, Row.ticket_ref)
                .where(
                    Row.status == "received",
                    Row.received_at <= older_than,
                    Row.ticket_ref.is_not(None),
                )
                .distinct()
            )
            return [(s, str(t)) for s, t in (await session.execute(query)).all()]

    async def purge(self, system: str, before: dt.datetime) -> int:
        async with self._sessions() as session:
            result = await session.execute(
                delete(Row).where(
                    Row.system == system,
                    Row.status.in_(["done", "discarded"]),
                    Row.received_at < before,
                )
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0))

    async def backlog(self, system: str) -> tuple[int, dt.datetime | None]:
        # Two aggregates over the (status, received_at) index: cheap for the overview.
        parked = select(func.count()).where(Row.status == "parked", Row.system == system)
        oldest = select(func.min(Row.received_at)).where(
            Row.status == "received", Row.system == system
        )
        async with self._sessions() as session:
            count = int(await session.scalar(parked) or 0)
            first: dt.datetime | None = await session.scalar(oldest)
        return count, first

    async def waiting(self, system: str) -> tuple[int, int, dt.datetime | None]:
        # One grouped read over the (status, received_at) index, for the metrics scrape.
        query = (
            select(Row.status, func.count(), func.min(Row.received_at))
            .where(Row.system == system, Row.status.in_(["received", "parked"]))
            .group_by(Row.status)
        )
        async with read_connection(self._engine) as conn:
            found = {status: (int(n), first) for status, n, first in await conn.execute(query)}
        received, oldest = found.get("received", (0, None))
        return received, found.get("parked", (0, None))[0], oldest

    # -- the poll's cursor ---------------------------------------------------------------
    async def cursor(self, system: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        async with self._sessions() as session:
            row = await session.get(InboundCursor, system)
            return (None, None) if row is None else (row.modified_after, row.polled_at)

    async def set_cursor(
        self, system: str, modified_after: dt.datetime | None, polled_at: dt.datetime
    ) -> None:
        async with self._sessions() as session:
            row = await session.get(InboundCursor, system)
            if row is None:
                session.add(
                    InboundCursor(system=system, modified_after=modified_after, polled_at=polled_at)
                )
            else:
                row.modified_after = modified_after
                row.polled_at = polled_at
            try:
                await session.commit()
            except IntegrityError:  # two polls at once: the other one stored it
                await session.rollback()


def holder_id() -> str:
    """A lease holder's name: unique per job run."""
    return uuid.uuid4().hex
