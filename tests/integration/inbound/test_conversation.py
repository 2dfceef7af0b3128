"""The conversation on a ticket the tenant opened in casavi, end to end on PostgreSQL, Redis
and a real ``portal-gateway worker``: the tenant's ticket reaches iX-Haus; staff answer on
that same ticket by trigger and by run; the commissioning note (T8), a status change and the
close follow; the tenant sees every step in casavi's tenant view and replies; the reply
arrives in iX-Haus with its author. casavi ends with no second ticket and no message twice;
neither side sees its own writes come back (echo suppression).

The demo shows the same conversation on the embedded default (SQLite, in-process jobs):
``tests/e2e/test_demo.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, update

from app.asgi import create_app
from app.sandbox.casavi import ServerThread
from tests.integration.inbound.conftest import (
    CALLBACK_SECRET,
    Inbound,
    callback_url,
    gateway_settings,
    start_worker,
    stop,
)


@pytest.fixture
async def api(
    migrated_pg: str, inbound: Inbound, redis_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway (jobs on Redis) on loopback, with its worker as a separate process."""
    queue = f"conversation-{uuid.uuid4().hex[:8]}"
    settings = gateway_settings(migrated_pg, REDIS_URL=redis_url, ARQ_QUEUE_NAME=queue)
    thread = ServerThread(create_app(settings)).start()
    worker = start_worker(settings, tmp_path / "worker.log")
    await inbound.sim.callbacks_to(callback_url(thread.base_url), CALLBACK_SECRET)
    try:
        async with httpx.AsyncClient(base_url=thread.base_url, timeout=30) as client:
            yield client
    finally:
        stop(worker)
        thread.stop()


async def _staff_note(inbound: Inbound, number: int, content: str) -> int:
    notes = inbound.tables.notes
    async with inbound.ixhaus.begin() as conn:
        row = await conn.execute(
            insert(notes)
            .values(ticket_no=number, created_at=datetime.now(UTC), content=content, internal=False)
            .returning(notes.c.note_id)
        )
        return int(row.scalar_one())


async def _ixhaus(inbound: Inbound, statement: Any) -> None:
    async with inbound.ixhaus.begin() as conn:
        await conn.execute(statement)


async def _run(api: httpx.AsyncClient, admin_key: str, inbound: Inbound) -> dict[str, Any]:
    headers = {"X-API-Key": admin_key}
    started = await api.post("/api/v1/systems/test/sync-runs", headers=headers, json={})
    assert started.status_code in (200, 201, 202), started.text
    run_id = started.json()["id"]
    done: dict[str, Any] = {}

    async def finished() -> bool:
        nonlocal done
        done = (await api.get(f"/api/v1/sync-runs/{run_id}", headers=headers)).json()
        return done["status"] not in ("queued", "running")

    await inbound.wait_for(finished)
    return done


async def _seen_by_tenant(inbound: Inbound, ticket: str) -> dict[str, Any]:
    return await inbound.sim.tenant("GET", f"/tickets/{ticket}")


async def test_the_tenant_and_staff_talk_on_the_tenants_own_ticket(
    inbound: Inbound, api: httpx.AsyncClient, ixhaus_key: str, admin_key: str
) -> None:
    # rule T10: the tenant's ticket reaches iX-Haus (callback -> inbox -> worker)
    tenant_ticket = await inbound.open_ticket("Heizung kalt")
    number: int | None = None

    async def arrived() -> bool:
        nonlocal number
        number = await inbound.ticket_no(tenant_ticket)
        return number is not None

    await inbound.wait_for(arrived)
    assert number is not None
    ticket_posts = await inbound.sim.route_count("POST /v2/tickets")
    trigger = {"X-API-Key": ixhaus_key}

    # rule N1: a staff reply pushed by iX-Haus plus reaches the tenant's ticket in casavi
    first = await _staff_note(inbound, number, "Der Techniker kommt morgen.")
    pushed = await api.post(
        f"/api/v1/systems/test/tickets/{number}/notes/{first}/sync", headers=trigger
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["outcome"] == "sent"
    seen = await _seen_by_tenant(inbound, tenant_ticket)
    assert [m["content"] for m in seen["messages"]] == ["Der Techniker kommt morgen."]

    # ...and by a run: a second reply, the T8 commissioning note and a status change
    second = await _staff_note(inbound, number, "Ersatzteil ist bestellt.")
    rows = await inbound.rows("tickets", ticket_no=number)
    ticket_type = rows[0].type_no
    await _ixhaus(
        inbound,
        update(inbound.tables.ticket_types)
        .where(inbound.tables.ticket_types.c.type_no == ticket_type)
        .values(note_on_commissioning=True, note_template="Auftrag an {contractor} erteilt."),
    )
    await _ixhaus(
        inbound,
        insert(inbound.tables.work_orders).values(
            order_no=990001, ticket_no=number, placed_at=datetime.now(UTC), contractor="Heiz GmbH"
        ),
    )
    statuses = inbound.tables.ticket_statuses
    async with inbound.ixhaus.connect() as conn:
        open_statuses = (
            await conn.scalars(select(statuses.c.status_no).where(statuses.c.kind == "open"))
        ).all()
    new_status = next(s for s in open_statuses if s != rows[0].status_no)
    await _ixhaus(
        inbound,
        update(inbound.tables.tickets)
        .where(inbound.tables.tickets.c.ticket_no == number)
        .values(status_no=new_status, modified_at=datetime.now(UTC)),
    )
    run = await _run(api, admin_key, inbound)
    assert (run["status"], run["errors"]) == ("succeeded", 0), run
    seen = await _seen_by_tenant(inbound, tenant_ticket)
    # (the run sends the commissioning notes before the public notes)
    assert [m["content"] for m in seen["messages"]] == [
        "Der Techniker kommt morgen.",
        "Auftrag an Heiz GmbH erteilt.",
        "Ersatzteil ist bestellt.",
    ]
    assert seen["statusId"] == new_status
    assert second  # sent by the run, above

    # rule N1: the tenant replies; the note names the tenant (person and name)
    tenant = await inbound.tenant()
    reply = await inbound.sim.tenant(
        "POST",
        f"/tickets/{tenant_ticket}/messages",
        json={"contactId": rows[0].reporter_person_no or tenant["contactId"], "content": "Danke!"},
    )

    async def replied() -> bool:
        return bool(await inbound.rows("notes", source_ref=reply["id"]))

    await inbound.wait_for(replied)
    (note,) = await inbound.rows("notes", source_ref=reply["id"])
    assert note.content == "Danke!"
    assert note.author_person_no == rows[0].reporter_person_no
    assert note.author_name  # the tenant's name as casavi shows it

    # staff close the ticket in iX-Haus and push it: the tenant sees it closed
    await _ixhaus(
        inbound,
        update(inbound.tables.tickets)
        .where(inbound.tables.tickets.c.ticket_no == number)
        .values(closed_at=datetime.now(UTC)),
    )
    closed = await api.post(f"/api/v1/systems/test/tickets/{number}/sync", headers=trigger)
    assert closed.status_code == 200, closed.text
    assert closed.json()["outcome"] == "sent"
    assert (await _seen_by_tenant(inbound, tenant_ticket))["closedAt"]

    # Nothing twice, no echo: one casavi ticket (the tenant's), each message once; the only
    # note written from casavi is the tenant's reply; a further run writes nothing.
    assert await inbound.sim.route_count("POST /v2/tickets") == ticket_posts
    assert inbound.sim.state.store.get("tickets", str(number)) is None
    messages = [m["content"] for m in (await _seen_by_tenant(inbound, tenant_ticket))["messages"]]
    assert sorted(messages) == sorted(
        [
            "Der Techniker kommt morgen.",
            "Ersatzteil ist bestellt.",
            "Auftrag an Heiz GmbH erteilt.",
            "Danke!",
        ]
    )
    from_casavi = [n for n in await inbound.rows("notes", ticket_no=number) if n.source_ref]
    assert [n.content for n in from_casavi] == ["Danke!"]
    writes = await inbound.sim.write_count()
    again = await _run(api, admin_key, inbound)
    assert (again["status"], again["sent"], again["errors"]) == ("succeeded", 0, 0), again
    assert await inbound.sim.write_count() == writes
