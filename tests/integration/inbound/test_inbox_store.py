"""The inbox store on PostgreSQL and on SQLite (embedded mode): stored once, the per-ticket
lease, parking and due events, retention purge, the poll cursor; and the sweeper."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store import migrate
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.inbox import SqlInbox
from app.adapters.store.models import InboundCursor, InboundLease, InboxEvent
from app.sync.ports import NewInboxEvent

T0 = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def _event(external_id: str, ticket: str = "cv-1", minutes: int = 0) -> NewInboxEvent:
    return NewInboxEvent(
        external_id=external_id,
        event_type="ticket.updated",
        ticket_ref=ticket,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        payload={"data": {"ticketId": ticket}},
    )


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(
    request: pytest.FixtureRequest, migrated_pg: str, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "postgresql":
        url = migrated_pg
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    async with factory() as session:
        for model in (InboxEvent, InboundLease, InboundCursor):
            await session.execute(delete(model))
        await session.commit()
    yield factory
    await engine.dispose()


async def test_events_are_stored_once_and_pending_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = SqlInbox(sessions)
    stored = await inbox.add("test", [_event("b", minutes=2), _event("a", minutes=1)])
    assert [e.external_id for e in stored] == ["b", "a"]
    again = await inbox.add("test", [_event("a"), _event("c", minutes=3)])
    assert [e.external_id for e in again] == ["c"]
    # The other system's event with the same id is another event.
    assert len(await inbox.add("production", [_event("a")])) == 1
    pending = await inbox.pending("test", "cv-1")
    assert [e.external_id for e in pending] == ["a", "b", "c"]  # by occurredAt, then id


async def test_one_lease_holder_per_ticket_and_an_expired_lease_is_taken(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = SqlInbox(sessions)
    assert await inbox.claim("test", "cv-1", "job-1", 30)
    assert not await inbox.claim("test", "cv-1", "job-2", 30)
    assert await inbox.claim("test", "cv-2", "job-2", 30)  # another ticket
    assert await inbox.claim("test", "cv-1", "job-1", 30)  # the holder renews
    await inbox.release("test", "cv-1", "job-1")
    assert await inbox.claim("test", "cv-1", "job-2", 30)
    # A killed job's lease expires.
    async with sessions() as session:
        await session.execute(update(InboundLease).values(expires_at=T0 - dt.timedelta(minutes=1)))
        await session.commit()
    assert await inbox.claim("test", "cv-1", "job-3", 30)


async def test_parked_events_come_back_when_due_and_old_ones_are_purged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = SqlInbox(sessions)
    await inbox.add("test", [_event("a"), _event("b", "cv-2"), _event("c", "cv-3")])
    (a,) = await inbox.pending("test", "cv-1")
    (b,) = await inbox.pending("test", "cv-2")
    now = dt.datetime.now(dt.UTC)
    await inbox.park([a.id], "unknown unit", now - dt.timedelta(seconds=1))
    await inbox.park([b.id], "unknown unit", now + dt.timedelta(hours=1))
    await inbox.done((await inbox.pending("test", "cv-3"))[0].id)
    due = await inbox.due(now, now + dt.timedelta(seconds=1))
    assert due == [("test", "cv-1")]  # a is due again; b waits; c is done
    parked = await inbox.list("test", status="parked", limit=10)
    assert [(e.external_id, e.last_error, e.attempts) for e in parked] == [("b", "unknown unit", 1)]
    discarded = await inbox.discard("test", b.id)
    assert discarded is not None
    assert discarded.status == "discarded"
    # Retention (GDPR): processed and discarded events older than the cut-off go.
    assert await inbox.purge("test", now + dt.timedelta(seconds=5)) == 2
    assert [e.external_id for e in await inbox.list("test", status=None, limit=10)] == ["a"]


async def test_the_poll_cursor_is_kept_per_system(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = SqlInbox(sessions)
    assert await inbox.cursor("test") == (None, None)
    await inbox.set_cursor("test", T0, T0 + dt.timedelta(seconds=5))
    await inbox.set_cursor("test", T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=2))
    assert await inbox.cursor("test") == (
        T0 + dt.timedelta(minutes=1),
        T0 + dt.timedelta(minutes=2),
    )
    assert await inbox.cursor("production") == (None, None)


async def test_the_backlog_counts_parked_events_and_finds_the_oldest_waiting_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = SqlInbox(sessions)
    assert await inbox.backlog("test") == (0, None)
    await inbox.add("test", [_event("a", "cv-1"), _event("b", "cv-2"), _event("c", "cv-3")])
    await inbox.add("production", [_event("p", "cv-9")])
    first, second, third = await inbox.list("test", status=None, limit=10)
    async with sessions() as session:
        for row, minutes in ((first, 5), (second, 3), (third, 1)):
            await session.execute(
                update(InboxEvent)
                .where(InboxEvent.id == row.id)
                .values(received_at=T0 - dt.timedelta(minutes=minutes))
            )
        await session.commit()
    await inbox.park([first.id], "unknown reporter", T0 + dt.timedelta(hours=1))
    await inbox.done(third.id)
    # One parked; the oldest unprocessed (received) one is the second.
    assert await inbox.backlog("test") == (1, T0 - dt.timedelta(minutes=3))
    await inbox.done(second.id)
    assert await inbox.backlog("test") == (1, None)
    parked, oldest = await inbox.backlog("production")
    assert parked == 0
    assert oldest is not None
