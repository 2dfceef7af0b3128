"""Rule S1 views read in bulk, straight from the columns, on PostgreSQL (one array
parameter) and on SQLite (the portable IN list): stored tickets only, UTC-aware timestamps."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.adapters.store import migrate
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.portal_states import SqlPortalActivity, SqlPortalStates
from app.domain.keys import TicketNumber
from app.sync.ports import PortalStatus

T0 = dt.datetime(2026, 11, 29, 12, 30, tzinfo=dt.UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
async def states(
    request: pytest.FixtureRequest, migrated_pg: str, tmp_path: Path
) -> AsyncIterator[tuple[SqlPortalStates, SqlPortalActivity]]:
    url = migrated_pg
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    try:
        yield SqlPortalStates(sessions), SqlPortalActivity(sessions)
    finally:
        await engine.dispose()


async def test_many_returns_the_stored_views_of_the_numbers_asked(
    states: tuple[SqlPortalStates, SqlPortalActivity],
) -> None:
    store, activity = states
    await store.save(
        "test",
        [
            PortalStatus(ticket_number="88001", transferred=True, portal_status="open"),
            PortalStatus(
                ticket_number="88002",
                transferred=False,
                reason_code="T3",
                reason_text="ticket type not enabled",
            ),
            PortalStatus(ticket_number="88003", transferred=True, portal_status="closed"),
        ],
    )
    await store.save("production", [PortalStatus(ticket_number="88004", transferred=True)])
    await activity.record("test", TicketNumber(88001), T0, "new message")
    asked = ["88003", "88001", "99999", "88004", "88002", "88001"]
    views = {v.ticket_number: v for v in await store.many("test", asked)}
    assert set(views) == {"88001", "88002", "88003"}  # not the other system's, not unknown
    assert views["88001"].portal_status == "open"
    assert views["88001"].last_portal_change_at == T0
    assert views["88001"].last_portal_change_at.tzinfo is not None
    assert views["88001"].last_portal_change == "new message"
    assert views["88002"].transferred is False
    assert (views["88002"].reason_code, views["88002"].reason_text) == (
        "T3",
        "ticket type not enabled",
    )
    assert views["88003"].updated_at.utcoffset() == dt.timedelta(0)
    assert await store.many("test", []) == []
    one = await store.one("test", TicketNumber(88003))
    assert one is not None
    assert one == views["88003"]
    assert await store.one("test", TicketNumber(99999)) is None
