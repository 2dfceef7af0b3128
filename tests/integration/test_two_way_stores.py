"""The stores behind the two-way ticket flows, on PostgreSQL: note links (echo suppression),
conflicts with their bases, and the portal activity columns (rule S2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.conflicts import SqlConflicts
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.note_links import SqlNoteLinks
from app.adapters.store.portal_states import SqlPortalActivity, SqlPortalStates
from app.domain.keys import TicketNumber
from app.sync.ports import NewConflict, NoteLink, PortalStatus

T0 = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


@pytest.fixture
async def sessions(migrated_pg: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_pg)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def test_a_note_link_is_recorded_once_from_either_side(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # rule N1: a note and its message are linked once; the link tells who wrote it first
    links = SqlNoteLinks(sessions)
    link = NoteLink(
        ticket_number="4711", ixhaus_note_id="n-1", casavi_message_id="m-1", origin="casavi"
    )
    assert await links.record("test", link)
    assert not await links.record("test", link)
    echo = NoteLink(
        ticket_number="4711", ixhaus_note_id="n-2", casavi_message_id="m-1", origin="ixhaus"
    )
    assert not await links.record("test", echo)
    assert await links.by_casavi_message("test", "m-1") == link
    assert await links.by_ixhaus_note("test", "n-1") == link
    assert await links.by_ixhaus_note("production", "n-1") is None


async def test_the_links_of_many_messages_are_one_look_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # A polled ticket's listed messages: the linked ones by message id, the others absent,
    # another system's links never (more ids than one IN list holds).
    links = SqlNoteLinks(sessions)
    stored = [
        NoteLink(
            ticket_number="4713",
            ixhaus_note_id=f"bn-{i}",
            casavi_message_id=f"bm-{i}",
            origin="casavi",
        )
        for i in range(0, 1200, 2)
    ]
    assert len(await links.record_many("test", stored)) == 600
    other = NoteLink(
        ticket_number="9", ixhaus_note_id="bn-x", casavi_message_id="bm-1", origin="casavi"
    )
    assert await links.record("production", other)
    found = await links.by_casavi_messages("test", [f"bm-{i}" for i in range(1200)])
    assert sorted(found) == sorted(f"bm-{i}" for i in range(0, 1200, 2))
    assert found["bm-1198"].ixhaus_note_id == "bn-1198"
    assert await links.by_casavi_messages("test", []) == {}


async def test_a_base_moves_in_one_statement_and_keeps_the_other_fields(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Every note a tenant writes moves its ticket's base (N1): one statement on PostgreSQL;
    # an empty value (None) and any text stay as they were given.
    from sqlalchemy import event

    conflicts = SqlConflicts(sessions)
    engine = sessions.kw["bind"]
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    number = TicketNumber(4714)
    await conflicts.set_base("test", number, {"due_from": None, "note:7": 'Grüße, "Tür" {x}'})
    await conflicts.set_base("test", number, {"note:8": "zwei"})
    await conflicts.set_base("test", number, {"due_from": "2026-12-01", "note:8": None})
    event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(statements) == 3
    assert await conflicts.base("test", number) == {
        "due_from": "2026-12-01",
        "note:7": 'Grüße, "Tür" {x}',
        "note:8": None,
    }


async def test_bases_merge_and_the_first_resolution_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    conflicts = SqlConflicts(sessions)
    await conflicts.set_base("test", TicketNumber(4712), {"subject": "Heizung", "status": "1"})
    await conflicts.set_base("test", TicketNumber(4712), {"status": "2"})
    assert await conflicts.base("test", TicketNumber(4712)) == {"subject": "Heizung", "status": "2"}
    assert await conflicts.base("production", TicketNumber(4712)) == {}
    conflict_id = await conflicts.add(
        "test",
        NewConflict(
            ticket_number="4712",
            field="subject",
            base_value="Heizung",
            ixhaus_value="Heizung defekt",
            casavi_value="Heizung kalt",
            policy="manual",
            resolution=None,
        ),
    )
    open_ones = await conflicts.list("test", open_only=True, limit=10)
    assert [c.id for c in open_ones] == [conflict_id]
    done = await conflicts.resolve(
        "test", conflict_id, side="casavi", value="Heizung kalt", actor="apikey:admin"
    )
    assert done is not None
    assert (done.resolution, done.resolved_value) == ("casavi", "Heizung kalt")
    again = await conflicts.resolve("test", conflict_id, side="ixhaus", value=None, actor="x")
    assert again is not None
    assert again.resolution == "casavi"
    assert await conflicts.list("test", open_only=True, limit=10) == []
    assert await conflicts.get("production", conflict_id) is None


async def test_portal_activity_keeps_the_latest_and_resets(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # rule S2: when and what changed last in the portal; reset when staff change the ticket
    activity, states = SqlPortalActivity(sessions), SqlPortalStates(sessions)
    await states.save("test", [PortalStatus(ticket_number="4713", transferred=True)])
    await activity.record("test", TicketNumber(4713), T0, "new message")
    await activity.record("test", TicketNumber(4713), T0 - dt.timedelta(minutes=5), "status")
    view = await states.one("test", TicketNumber(4713))
    assert view is not None
    assert (view.last_portal_change_at, view.last_portal_change) == (T0, "new message")
    assert await activity.reset("test", TicketNumber(4713), T0)
    view = await states.one("test", TicketNumber(4713))
    assert view is not None
    assert (view.last_portal_change_at, view.last_portal_change) == (None, None)
    assert not await activity.reset("test", TicketNumber(99999), T0)
    await activity.record("test", TicketNumber(4714), T0, "new ticket")  # a tenant's new ticket
    new = await states.one("test", TicketNumber(4714))
    assert new is not None
    assert new.transferred
    assert new.last_portal_change == "new ticket"
