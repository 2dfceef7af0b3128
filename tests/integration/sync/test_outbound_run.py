"""The outbound run over the sandbox portfolio: sends what changed and nothing else."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine
from app.adapters.store.models import EntityLink, ProtocolEntry, TicketPortalState
from app.configuration.secrets import SecretBox
from app.domain.keys import EntityKind, RecordKey
from app.environment import normalise_database_url
from app.sync.ports import SyncRunInfo
from tests.fakes import FakePortal
from tests.integration.sync.conftest import run_once, services_with


async def _run(
    sessions: async_sessionmaker[AsyncSession], box: SecretBox, portal: FakePortal
) -> SyncRunInfo:
    services = services_with(sessions, box, portal)
    try:
        return await run_once(services)
    finally:
        await services.aclose()


def _sent(portal: FakePortal, kind: EntityKind) -> list[str]:
    return [key.ledger_key for key in portal.puts if key.kind is kind]


async def _count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _ixhaus_update(
    url: str, table: str, where: dict[str, object], values: dict[str, object]
) -> None:
    tables = IxhausTables()
    target = getattr(tables, table)
    engine = create_engine(normalise_database_url(url))
    try:
        async with engine.begin() as conn:
            stmt = update(target).values(**values)
            for column, value in where.items():
                stmt = stmt.where(target.c[column] == value)
            await conn.execute(stmt)
    finally:
        await engine.dispose()


async def test_first_run_sends_the_eligible_portfolio_and_records_reasons(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    portal = FakePortal()
    run = await _run(sessions, active_test_system, portal)
    assert run.status == "succeeded", run.last_error
    assert run.sent == len(portal.puts) > 0
    assert run.errors == 0
    objects = sorted(_sent(portal, EntityKind.OBJECT))
    # rule M4 and rule C3: objects in range only; the sandbox's last object is outside it
    assert objects == ["object:1001", "object:1002", "object:1003"]
    assert all(key.parts[0] != "1004" for key in portal.puts if key.kind is EntityKind.UNIT)
    assert _sent(portal, EntityKind.PERSON)
    assert _sent(portal, EntityKind.TICKET)
    # rule S1: every decided ticket has a portal field: transferred, or the reason why not
    async with sessions() as session:
        states = (await session.scalars(select(TicketPortalState))).all()
    assert {s.transferred for s in states} == {True, False}
    locked = [s for s in states if s.reason_code == "ticket_type_locked"]
    assert locked  # rule T4
    assert all(s.reason_text for s in locked)


async def test_a_second_run_with_nothing_changed_sends_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    portal = FakePortal()
    await _run(sessions, active_test_system, portal)
    links = await _count(sessions, EntityLink)
    protocol = await _count(sessions, ProtocolEntry)
    portal.puts.clear()

    again = await _run(sessions, active_test_system, portal)
    assert again.status == "succeeded"
    assert (again.sent, again.errors) == (0, 0)
    assert portal.puts == []
    assert portal.removes == []
    assert await _count(sessions, EntityLink) == links
    assert await _count(sessions, ProtocolEntry) == protocol


async def test_a_changed_ticket_is_the_only_record_sent(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox, ixhaus_url: str
) -> None:
    portal = FakePortal()
    await _run(sessions, active_test_system, portal)
    sent_ticket = next(key for key in portal.puts if key.kind is EntityKind.TICKET)
    number = int(sent_ticket.number)
    portal.puts.clear()
    await _ixhaus_update(
        ixhaus_url, "tickets", {"ticket_no": number}, {"subject": "Heizung fällt erneut aus"}
    )
    run = await _run(sessions, active_test_system, portal)
    assert portal.puts == [sent_ticket]
    assert run.sent == 1
    assert portal.records[sent_ticket].subject == "Heizung fällt erneut aus"  # type: ignore[union-attr]


async def test_records_leaving_the_object_range_are_removed(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    portal = FakePortal()
    await _run(sessions, active_test_system, portal)
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch(
            "test", {"objects": {"range": [{"from": "1001", "to": "1002"}]}}, "test"
        )
    run = await _run(sessions, active_test_system, portal)
    gone = RecordKey.of(EntityKind.OBJECT, "1003")
    assert gone in portal.removes
    assert any(key.kind is EntityKind.UNIT and key.parts[0] == "1003" for key in portal.removes)
    assert gone not in portal.records
    assert run.status == "succeeded"


async def test_one_failing_record_does_not_stop_the_run_and_is_retried(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    portal = FakePortal()
    failing = RecordKey.of(EntityKind.OBJECT, "1002")
    portal.fail_keys = {failing}
    run = await _run(sessions, active_test_system, portal)
    # Honest outcome: the rest went through, one record did not.
    assert run.status == "partial"
    assert run.errors == 1
    assert run.last_error == "1 record(s) failed; see the run's protocol"
    assert RecordKey.of(EntityKind.OBJECT, "1001") in portal.puts
    async with sessions() as session:
        entry = await session.scalar(
            select(ProtocolEntry).where(ProtocolEntry.entity_key == "object:1002")
        )
    assert entry is not None
    assert entry.outcome == "error"  # rule L3: which record, what failed, why
    assert entry.message == "RuntimeError: casavi said no"

    portal.fail_keys = set()
    portal.puts.clear()
    # Within its backoff the record waits: not tried, no new line, counted as waiting (the
    # run itself failed nothing, so it succeeds)...
    waiting = await _run(sessions, active_test_system, portal)
    assert (waiting.status, waiting.errors, waiting.waiting) == ("succeeded", 0, 1)
    assert portal.puts == []
    async with sessions() as session:
        link = await session.scalar(
            select(EntityLink).where(EntityLink.ixhaus_key == "object:1002")
        )
        assert link is not None
        assert (link.state, link.attempts) == ("error", 1)
        assert link.next_attempt_at is not None
        link.next_attempt_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await session.commit()
    # ...and once it has passed, it is sent again.
    retry = await _run(sessions, active_test_system, portal)
    assert portal.puts == [failing]
    assert (retry.status, retry.errors, retry.last_error) == ("succeeded", 0, None)


async def test_an_inactive_system_does_not_sync(
    sessions: async_sessionmaker[AsyncSession], active_test_system: SecretBox
) -> None:
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch("test", {"active": False}, "test")
    portal = FakePortal()
    run = await _run(sessions, active_test_system, portal)
    # rule C12: the interface switch
    assert run.status == "failed"
    assert run.last_error == "The interface of this system is switched off (rule C12)."
    assert portal.puts == []
