"""Poll-only operation (callbacks switched off): the embedded poll alone brings a tenant's
ticket and message to iX-Haus; an idle poll is one request."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from app.adapters.casavi.callbacks import sign
from app.asgi import create_app
from app.sandbox.casavi import ServerThread
from app.sync.inbound.poll import poll_system
from tests.integration.inbound.conftest import CALLBACK_SECRET, Inbound, gateway_settings


async def test_poll_alone_brings_tenant_tickets_and_messages(
    inbound: Inbound, migrated_pg: str
) -> None:
    # rule T10 without callbacks: casavi may offer none; the poll alone must be enough.
    await inbound.configure({"inbound": {"callbacksEnabled": False, "pollSeconds": 1}})
    settings = gateway_settings(migrated_pg, INBOUND_POLL_TICK_SECONDS="1")
    gateway = ServerThread(create_app(settings, scheduler=True)).start()  # embedded mode
    try:
        async with httpx.AsyncClient(base_url=gateway.base_url) as http:
            body = b'{"id":"evt_x","type":"ticket.created","occurredAt":"2026-01-01T00:00:00Z"}'
            refused = await http.post(
                "/api/v1/systems/test/callbacks/casavi",
                content=body,
                headers={"X-Casavi-Signature": sign(body, [CALLBACK_SECRET])},
            )
            assert refused.status_code == 404  # callbacks are switched off: nothing stored
        tenant = await inbound.tenant()
        casavi_id = await inbound.open_ticket("Rauchmelder piept")
        await inbound.sim.tenant(
            "POST",
            f"/tickets/{casavi_id}/messages",
            json={"contactId": tenant["contactId"], "content": "alle 30 Sekunden"},
        )

        async def arrived() -> bool:
            number = await inbound.ticket_no(casavi_id)
            return number is not None and await inbound.count("notes", ticket_no=number) == 1

        await inbound.wait_for(arrived)
        assert all(e.external_id.startswith("poll:") for e in await inbound.inbox())
        assert (await inbound.sim.stats())["callbacks"].get("delivered", 0) == 0
    finally:
        gateway.stop()

    # Idle: with nothing changed since the cursor, a poll is one request to casavi.
    await inbound.services.inbox.set_cursor(
        "test", dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    await poll_system(inbound.services, "test", force=True)  # warm: token, first page
    before = (await inbound.sim.stats())["requests"]
    stored = await poll_system(inbound.services, "test", force=True, overlap=dt.timedelta(0))
    after = (await inbound.sim.stats())["requests"]
    assert stored == 0
    assert after - before == 1


@pytest.mark.parametrize("casavi_in_process", [True], ids=["in-process"])
async def test_the_sweeper_requeues_what_the_inbox_holds_and_purges_old_payloads(
    inbound: Inbound,
) -> None:
    from sqlalchemy import update

    from app.adapters.store.models import InboxEvent as InboxRow
    from app.sync.inbound.sweeper import sweep
    from app.sync.ports import NewInboxEvent
    from tests.fakes import FakeQueue

    await inbound.configure({"support": {"inboundRetentionDays": 7}})
    now = dt.datetime.now(dt.UTC)
    events = [
        NewInboxEvent(
            external_id=name,
            event_type="ticket.updated",
            ticket_ref=ticket,
            occurred_at=now,
            payload={"data": {"ticketId": ticket}},
        )
        for name, ticket in (("lost", "cv-lost"), ("old", "cv-old"), ("recent", "cv-recent"))
    ]
    await inbound.services.inbox.add("test", events)
    old, recent = [
        (await inbound.services.inbox.pending("test", t))[0] for t in ("cv-old", "cv-recent")
    ]
    await inbound.services.inbox.done(old.id)
    await inbound.services.inbox.done(recent.id)
    async with inbound.sessions() as session:
        # "lost": stored while Redis was down; "old": processed eight days ago.
        await session.execute(
            update(InboxRow)
            .where(InboxRow.external_id.in_(["lost", "old"]))
            .values(received_at=now - dt.timedelta(days=8))
        )
        await session.commit()
    queue = FakeQueue()
    inbound.services.queue = queue
    assert await sweep(inbound.services) == 1
    assert [args for _, args, _ in queue.jobs] == [("test", "cv-lost")]
    left = [e.external_id for e in await inbound.inbox()]
    assert sorted(left) == ["lost", "recent"]  # GDPR: the old processed payload is gone


async def test_a_lost_callback_is_caught_by_the_next_poll(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    # rule T10: casavi's callbacks are at-most-once at best; the poll is the safety net.
    from app.sync.inbound.process import process_ticket

    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await inbound.services.inbox.set_cursor("test", since, since)
    await inbound.sim.faults(drop_callbacks=1)
    lost = await inbound.open_ticket("Callback verloren")
    seen = await inbound.open_ticket("Callback angekommen")

    async def delivered() -> bool:
        return await inbound.ticket_no(seen) is not None and await inbound.settled()

    await inbound.wait_for(delivered)
    assert await inbound.ticket_no(lost) is None
    assert (await inbound.sim.stats())["callbacks"]["dropped"] == 1
    await poll_system(inbound.services, "test", force=True)
    await process_ticket(inbound.services, "test", lost)
    await process_ticket(inbound.services, "test", seen)  # the polled twin of a callback
    for ticket in (lost, seen):
        assert await inbound.services.inbox.pending("test", ticket) == []
    assert await inbound.count("tickets", source_ref=lost) == 1
    assert await inbound.count("tickets", source_ref=seen) == 1  # no second ticket


@pytest.mark.parametrize("casavi_in_process", [True], ids=["in-process"])
async def test_an_event_of_an_unknown_kind_is_parked_not_a_crash(inbound: Inbound) -> None:
    # A row no inbound kind decodes (written by a newer or a foreign version): the job parks
    # it with the reason, and the ticket's later events after it (order is kept).
    from app.sync.inbound.process import process_ticket
    from app.sync.ports import NewInboxEvent

    now = dt.datetime.now(dt.UTC)
    envelope = {"occurredAt": now.isoformat(), "data": {"ticketId": "cv-unknown"}}
    events = [
        NewInboxEvent(
            external_id=f"evt-{kind}",
            event_type=kind,
            ticket_ref="cv-unknown",
            occurred_at=now + dt.timedelta(seconds=n),
            payload={"id": f"evt-{kind}", "type": kind, **envelope},
        )
        for n, kind in enumerate(["ticket.deleted", "ticket.updated"])
    ]
    await inbound.services.inbox.add("test", events)
    assert await process_ticket(inbound.services, "test", "cv-unknown") == 0
    parked = {e.event_type: e.last_error for e in await inbound.inbox("parked")}
    assert set(parked) == {"ticket.deleted", "ticket.updated"}
    assert parked["ticket.deleted"].startswith(
        "not an inbound event the gateway knows ('ticket.deleted')"
    )
