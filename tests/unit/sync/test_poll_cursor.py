"""The poll's cursor (issue 18, item 2): casavi's own clock, never ours, survives a casavi
whose clock is behind; a restart continues from the stored cursor; the overlap re-lists
without storing anything twice; the gateway's own changes are never stored as events."""

from __future__ import annotations

import datetime as dt

import pytest

from app.sync.context import SystemAdapters
from app.sync.inbound.own_writes import OwnWrites
from app.sync.inbound.poll import poll_system
from app.sync.ports import CasaviTicketView, SystemSettings
from app.sync.services import Services
from tests.fakes import (
    FakeCasaviTickets,
    FakeConfigs,
    FakeInbox,
    FakeLedger,
    FakePortal,
    FakeQueue,
    FakeRuns,
    FakeSource,
    FakeWriter,
    fake_contexts,
)

OURS = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
SKEW = dt.timedelta(minutes=10)  # casavi's clock is ten minutes behind ours


def _ticket(ticket_id: str, modified_at: dt.datetime) -> CasaviTicketView:
    return CasaviTicketView(
        id=ticket_id,
        origin="tenant",
        ticket_type_id="10",
        subject="Heizung",
        property_id="1001",
        modified_at=modified_at,
        created_at=modified_at,
    )


class World:
    def __init__(self, inbox: FakeInbox | None = None) -> None:
        self.casavi = FakeCasaviTickets()
        self.casavi.clock = OURS - SKEW
        self.inbox = inbox or FakeInbox()
        self.now = OURS

        async def adapters(settings: SystemSettings) -> SystemAdapters:
            async def close() -> None:
                return None

            return SystemAdapters(
                source=FakeSource(),
                writer=FakeWriter(),
                portal=FakePortal(),
                close=close,
                casavi=self.casavi,
            )

        configs = FakeConfigs()
        ledger = FakeLedger()
        self.services = Services(
            runs=FakeRuns(),
            configs=configs,
            contexts=fake_contexts(configs, adapters, ledger),
            queue=FakeQueue(),
            clock=lambda: self.now,
            inbox=self.inbox,
        )

    async def poll(self) -> list[str]:
        before = set(self.inbox.events)
        await poll_system(self.services, "test", force=True)
        return [self.inbox.events[i].external_id for i in sorted(set(self.inbox.events) - before)]


@pytest.fixture
def world() -> World:
    return World()


async def test_a_casavi_clock_behind_ours_loses_nothing(world: World) -> None:
    assert await world.poll() == []  # the first poll: nothing yet
    cursor, _ = await world.inbox.cursor("test")
    assert cursor == OURS - SKEW  # casavi's clock (its Date header), not ours
    # A tenant writes a minute later - in casavi's time still nine minutes before ours.
    world.now += dt.timedelta(minutes=1)
    world.casavi.tickets["cv-1"] = _ticket("cv-1", OURS - SKEW + dt.timedelta(minutes=1))
    assert await world.poll() == ["poll:cv-1@2026-12-07T11:51:00+00:00"]
    cursor, _ = await world.inbox.cursor("test")
    assert cursor == OURS - SKEW + dt.timedelta(minutes=1)  # casavi's modifiedAt


async def test_the_overlap_relists_without_storing_twice(world: World) -> None:
    await world.poll()
    world.casavi.tickets["cv-1"] = _ticket("cv-1", OURS - SKEW + dt.timedelta(seconds=5))
    assert len(await world.poll()) == 1
    # Listed again within the overlap window (casavi's paging may have shifted it).
    assert await world.poll() == []


async def test_a_restart_continues_from_the_stored_cursor(world: World) -> None:
    await world.poll()
    world.casavi.tickets["cv-1"] = _ticket("cv-1", OURS - SKEW + dt.timedelta(seconds=5))
    await world.poll()
    # A new process (same database): nothing is lost or stored again, new changes arrive.
    restarted = World(world.inbox)
    restarted.casavi.tickets = dict(world.casavi.tickets)
    restarted.casavi.tickets["cv-2"] = _ticket("cv-2", OURS - SKEW + dt.timedelta(seconds=9))
    assert await restarted.poll() == ["poll:cv-2@2026-12-07T11:50:09+00:00"]


async def test_the_gateways_own_changes_are_no_events(world: World) -> None:
    await world.poll()
    own = OURS - SKEW + dt.timedelta(seconds=3)
    recorder = OwnWrites(world.inbox, "test")
    recorder.saw("1001", own)  # the outbound run changed ticket 1001; casavi said "own"
    await recorder.flush()
    world.casavi.tickets["1001"] = _ticket("1001", own)
    assert await world.poll() == []
    assert await world.inbox.list("test", status=None, limit=10) == []  # bookkeeping only
    # A tenant's later message on the same ticket is an event.
    world.casavi.tickets["1001"] = _ticket("1001", own + dt.timedelta(seconds=1))
    assert len(await world.poll()) == 1
