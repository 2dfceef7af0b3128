"""Rules S1/S2 per ticket (``sync.ports.PortalStates``): the service-portal field and the
last portal change, as iX-Haus plus reads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from sqlalchemy import String, and_, any_, bindparam, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.database import engine_of, read_connection, write_alone
from app.adapters.store.models import TicketPortalState
from app.adapters.store.upsert import upsert
from app.domain.keys import TicketNumber
from app.sync.ports import PortalStatus, TicketPortalView

_VIEW_FIELDS = TicketPortalView.__struct_fields__
_VIEW_COLUMNS = tuple(getattr(TicketPortalState, name) for name in _VIEW_FIELDS)
_MANY = select(*_VIEW_COLUMNS).order_by(TicketPortalState.ticket_number)
# PostgreSQL takes the numbers as one array parameter: one statement (prepared once per
# connection) for any count, and no expansion of N bound parameters per call. Other
# dialects get the portable IN list.
_MANY_PG = _MANY.where(
    TicketPortalState.system == bindparam("system"),
    TicketPortalState.ticket_number == any_(bindparam("numbers", type_=ARRAY(String))),
)


class SqlPortalStates:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._engine = engine_of(session_factory)

    async def save(self, system: str, states: Sequence[PortalStatus]) -> None:
        """Rule S1: store each ticket's portal field (transferred + status, or the reason)."""
        if not states:
            return
        now = utcnow()
        rows = [{"system": system, **msgspec.structs.asdict(s), "updated_at": now} for s in states]
        async with self._sessions() as session:
            # One multi-row upsert per batch, no read first (Oracle: read, insert, update).
            statement = upsert(
                session.get_bind().dialect.name,
                TicketPortalState.__table__,  # Core: no ORM bulk bookkeeping per row
                index=("system", "ticket_number"),
                update=(*PortalStatus.__struct_fields__, "updated_at"),
            )
            if statement is not None:
                await session.execute(statement, rows)
            else:  # Oracle: find the existing rows, insert the others
                existing = set(
                    await session.scalars(
                        select(TicketPortalState.ticket_number).where(
                            TicketPortalState.system == system,
                            TicketPortalState.ticket_number.in_([r["ticket_number"] for r in rows]),
                        )
                    )
                )
                inserts = [r for r in rows if r["ticket_number"] not in existing]
                updates = [r for r in rows if r["ticket_number"] in existing]
                if inserts:
                    await session.execute(insert(TicketPortalState), inserts)
                if updates:
                    await session.execute(update(TicketPortalState), updates)
            await session.commit()

    async def one(self, system: str, ticket: TicketNumber) -> TicketPortalView | None:
        found = await self.many(system, [str(ticket)])
        return found[0] if found else None

    async def many(self, system: str, numbers: Sequence[str]) -> list[TicketPortalView]:
        """The views of ``numbers`` that are stored, by ticket number: selected straight from
        the columns on a pooled connection (no ORM session, no objects to hydrate)."""
        async with read_connection(self._engine) as conn:
            if conn.dialect.name == "postgresql":
                result = await conn.execute(_MANY_PG, {"system": system, "numbers": list(numbers)})
            else:
                result = await conn.execute(
                    _MANY.where(
                        TicketPortalState.system == system,
                        TicketPortalState.ticket_number.in_(numbers),
                    )
                )
            rows = result.all()
        return [TicketPortalView(**dict(zip(_VIEW_FIELDS, row, strict=True))) for row in rows]


class SqlPortalActivity:
    """Rule S2 (``sync.ports.PortalActivity``): the two service-portal columns per ticket."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def record(self, system: str, ticket: TicketNumber, at: dt.datetime, what: str) -> None:
        state, ticket_number = TicketPortalState, str(ticket)  # kept as text
        newer = and_(
            or_(state.last_portal_change_at.is_(None), state.last_portal_change_at <= at),
            # An activity staff have seen (reset) never comes back, e.g. by a re-run event.
            or_(state.reset_at.is_(None), state.reset_at < at),
        )
        change = (
            update(state)
            .where(state.system == system, state.ticket_number == ticket_number, newer)
            .values(last_portal_change_at=at, last_portal_change=what[:500])
        )
        # The usual case, a known ticket: one UPDATE in its own transaction (one round trip).
        if await write_alone(self._sessions, change) > 0:
            return
        async with self._sessions() as session:
            result = await session.execute(change)
            if int(getattr(result, "rowcount", 0)) == 0:
                exists = await session.get(state, (system, ticket_number))
                if exists is None:
                    # A ticket a tenant opened: it is in the portal from the start (S1).
                    session.add(
                        state(
                            system=system,
                            ticket_number=ticket_number,
                            transferred=True,
                            portal_status="open",
                            last_portal_change_at=at,
                            last_portal_change=what[:500],
                        )
                    )
            try:
                await session.commit()
            except IntegrityError:  # a concurrent first record of the same ticket
                await session.rollback()
                await self.record(system, ticket, at, what)

    async def reset(self, system: str, ticket: TicketNumber, at: dt.datetime) -> bool:
        state, ticket_number = TicketPortalState, str(ticket)  # kept as text
        async with self._sessions() as session:
            result = await session.execute(
                update(state)
                .where(state.system == system, state.ticket_number == ticket_number)
                .values(last_portal_change_at=None, last_portal_change=None, reset_at=at)
            )
            await session.commit()
        return int(getattr(result, "rowcount", 0)) > 0
