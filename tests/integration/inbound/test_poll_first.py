"""Poll-first inbound (issue 18, item 2) against the simulator (in process), on PostgreSQL
and on SQLite: the outbound run's own changes are never read again, an idle poll is one request,
and a tenant's message on a ticket the gateway sent costs one request to apply (k changed
tickets: at most k + ceil(k/page) + 1)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from app.sync.inbound.own_writes import flush_own_writes
from app.sync.inbound.poll import poll_system
from app.sync.inbound.process import process_ticket
from tests.integration.inbound.conftest import Inbound

PAGE = 20  # the simulator's page size in these tests


@pytest.fixture
def casavi_in_process() -> bool:
    return True  # no gateway served, no worker: nothing here needs casavi on a socket


@pytest.fixture(params=["postgresql", "sqlite"])
def wired(request: pytest.FixtureRequest) -> Inbound:
    name = "inbound" if request.param == "postgresql" else "inbound_sqlite"
    handle: Inbound = request.getfixturevalue(name)
    return handle


async def _requests(inbound: Inbound) -> int:
    return int((await inbound.sim.stats())["requests"])


async def test_the_poll_reads_only_what_tenants_changed(wired: Inbound) -> None:
    inbound = wired
    await flush_own_writes()
    # Everything the outbound run wrote to casavi is listed again from a cursor before it...
    before_run = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await inbound.services.inbox.set_cursor("test", before_run, before_run)
    await poll_system(inbound.services, "test", force=True)  # ...and no event
    assert [e.external_id for e in await inbound.inbox()] == []

    # Idle: one request.
    before = await _requests(inbound)
    assert await poll_system(inbound.services, "test", force=True, overlap=dt.timedelta(0)) == 0
    assert await _requests(inbound) - before == 1

    # k tenants write on k tickets the gateway sent (every one the small sandbox has; the
    # benchmark takes k past a page: benchmarks/inbound_poll.py).
    tickets = [t.id async for t in inbound.casavi.tickets.modified_since(before_run)]
    chosen = [t for t in tickets if t.isdigit()]
    k = len(chosen)
    assert k >= 10
    tenant = await inbound.tenant()
    notes_before = await inbound.count("notes")
    written = [
        (
            await inbound.sim.tenant(
                "POST",
                f"/tickets/{ticket}/messages",
                json={"contactId": tenant["contactId"], "content": f"Nachricht zu {ticket}"},
            )
        )["id"]
        for ticket in chosen
    ]
    before = await _requests(inbound)
    assert await poll_system(inbound.services, "test", force=True, overlap=dt.timedelta(0)) == k
    for ticket in chosen:
        assert await process_ticket(inbound.services, "test", ticket) == 1
    used = await _requests(inbound) - before
    # One more per author named for the first time (the tenant's name, read once, N1).
    assert used <= k + math.ceil(k / PAGE) + 1 + 1, used
    for message in written:
        assert await inbound.count("notes", source_ref=message) == 1
    # The gateway's own messages on those tickets (N1 notes, T8 commissioning notes) never
    # came back as notes: the k tenants' messages are all that arrived.
    assert await inbound.count("notes") == notes_before + k

    # The gateway's own answer on one of them (a staff note pushed by a run) is no event.
    await flush_own_writes()
    assert await poll_system(inbound.services, "test", force=True) == 0
