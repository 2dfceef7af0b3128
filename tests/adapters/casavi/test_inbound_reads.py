"""What the inbound flow reads from casavi through the client, over real HTTP against the
simulator, every request and answer validated against openapi/casavi.yaml: tickets changed
since a cursor, their messages (public and internal), attachments, ratings and form fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.adapters.casavi import CasaviClient, CasaviConflict
from app.adapters.casavi.wire_tickets import (
    TicketCreate,
    TicketFormField,
    TicketMessageCreate,
    TicketStatusWrite,
    TicketTypeWrite,
)
from tests.support.casavi import ClientFactory, SimHandle, seed_portfolio

TENANT_TICKET = {
    "contactId": "C-1",
    "propertyId": "P-1",
    "unitId": "P-1/U.1",
    "ticketTypeId": "TT-1",
    "subject": "Heizung kalt",
    "description": "Seit gestern",
}


async def _tenant_ticket(simulator: SimHandle, **changes: Any) -> str:
    created = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, **changes})
    return str(created["id"])


async def _manager_ticket(client: CasaviClient, ref: str) -> None:
    await client.tickets.create(
        TicketCreate(id=ref, ticket_type_id="TT-1", subject=ref, property_id="P-1")
    )


async def test_modified_since_lists_changed_tickets_in_modification_order(
    client: CasaviClient, simulator: SimHandle
) -> None:
    # rule T10: tenant tickets arrive; the poll sees every ticket with news.
    await seed_portfolio(client)
    await _manager_ticket(client, "T-OLD")
    cursor = (await client.tickets.get("T-OLD")).modified_at
    await _manager_ticket(client, "T-A")
    tenant_id = await _tenant_ticket(simulator)
    await _manager_ticket(client, "T-B")
    # News on T-A (a message) moves it behind the others.
    await simulator.tenant(
        "POST", "/tickets/T-A/messages", json={"contactId": "C-1", "content": "Und?"}
    )
    changed = [t async for t in client.tickets.modified_since(cursor)]
    assert [t.id for t in changed] == [tenant_id, "T-B", "T-A"]
    assert [(t.modified_at, t.internal_id) for t in changed] == sorted(
        (t.modified_at, t.internal_id) for t in changed
    )
    assert all(t.modified_at > cursor for t in changed)
    tenant = changed[0]
    assert (tenant.origin, tenant.visibility, tenant.rating) == ("tenant", "public", None)
    assert (tenant.reporter_contact_id, tenant.property_id, tenant.unit_id) == (
        "C-1",
        "P-1",
        "P-1/U.1",
    )
    assert (tenant.ticket_type_id, tenant.subject, tenant.description) == (
        "TT-1",
        "Heizung kalt",
        "Seit gestern",
    )
    assert tenant.id.startswith("cv-")  # casavi-generated reference id
    assert tenant.internal_id > 0
    assert changed[1].origin == "manager"


async def test_an_idle_poll_is_one_request(client: CasaviClient, simulator: SimHandle) -> None:
    await seed_portfolio(client)
    await _tenant_ticket(simulator)
    cursor = max([t.modified_at async for t in client.tickets.list()])
    before = await simulator.route_count("GET /v2/tickets")
    assert [t async for t in client.tickets.modified_since(cursor)] == []
    assert await simulator.route_count("GET /v2/tickets") == before + 1


async def test_modified_since_pages_through_many_changes(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    client = make_client()
    await seed_portfolio(client)
    start = datetime.now(UTC)
    for n in range(45):  # the fixture's page size is 20: three pages
        await _manager_ticket(client, f"T-{n:02d}")
    before = await simulator.route_count("GET /v2/tickets")
    ids = [t.id async for t in client.tickets.modified_since(start)]
    assert ids == [f"T-{n:02d}" for n in range(45)]
    assert await simulator.route_count("GET /v2/tickets") == before + 3


async def test_messages_carry_visibility_author_and_attachments(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await seed_portfolio(client)
    ticket_id = await _tenant_ticket(simulator)
    document = await simulator.tenant(
        "POST",
        f"/tickets/{ticket_id}/attachments",
        params={"fileName": "heizung.jpg"},
        content=b"\xff\xd8" + b"x" * 1000,
        headers={"Content-Type": "image/jpeg"},
    )
    await simulator.tenant(
        "POST",
        f"/tickets/{ticket_id}/messages",
        json={"contactId": "C-1", "content": "Foto anbei", "documentIds": [document["id"]]},
    )
    # rule N2: a casavi staff member's internal note, written in casavi's web app.
    await simulator.control.post(
        f"/_sandbox/staff/tickets/{ticket_id}/messages",
        json={"staffId": "S-1", "content": "Intern: Handwerker teuer"},
    )
    ours = TicketMessageCreate(
        id="N-77", author_id="S-1", visibility="public", content="Wir kümmern uns."
    )
    await client.tickets.add_message(ticket_id, ours)
    every = [m async for m in client.tickets.messages(ticket_id)]
    assert [(m.author_type, m.author_id, m.visibility) for m in every] == [
        ("contact", "C-1", "public"),
        ("staff", "S-1", "internal"),
        ("staff", "S-1", "public"),
    ]
    assert [(a.document_id, a.file_name, a.size) for a in every[0].attachments] == [
        (document["id"], "heizung.jpg", 1002)
    ]
    assert every[0].created_at <= every[2].created_at
    public = [m.content async for m in client.tickets.messages(ticket_id, visibility="public")]
    assert public == ["Foto anbei", "Wir kümmern uns."]  # the internal note never crosses
    internal = [m.id async for m in client.tickets.messages(ticket_id, visibility="internal")]
    assert internal == [every[1].id]
    # Our reference id makes the staff message idempotent: a repeat is 409, lookup works.
    with pytest.raises(CasaviConflict):
        await client.tickets.add_message(ticket_id, ours)
    assert (await client.tickets.get_message(ticket_id, "N-77")).content == "Wir kümmern uns."


async def test_attachment_content_is_streamed(
    make_client: ClientFactory, simulator: SimHandle, tmp_path: Path
) -> None:
    client = make_client(upload_chunk_bytes=64 * 1024)
    await seed_portfolio(client)
    ticket_id = await _tenant_ticket(simulator)
    content = bytes(range(256)) * 1200  # 300 KiB
    document = await simulator.tenant(
        "POST",
        f"/tickets/{ticket_id}/attachments",
        params={"fileName": "plan.pdf"},
        content=content,
        headers={"Content-Type": "application/pdf"},
    )
    [listed] = [d async for d in client.tickets.attachments(ticket_id)]
    assert (listed.id, listed.size, listed.uploaded_by) == (document["id"], len(content), "tenant")
    async with client.tickets.attachment_stream(listed.id) as chunks:
        received = [chunk async for chunk in chunks]
    assert len(received) > 1
    assert b"".join(received) == content
    target = tmp_path / "plan.pdf"
    assert await client.tickets.download_attachment(listed.id, target) == len(content)
    assert target.read_bytes() == content


async def test_tenant_rating_and_status_change_show_on_the_ticket(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await seed_portfolio(client)
    await client.ticket_statuses.create(
        TicketStatusWrite(id="ST-9", name="Erledigt", type="CLOSED")
    )
    ticket_id = await _tenant_ticket(simulator)
    before = (await client.tickets.get(ticket_id)).modified_at
    await simulator.tenant("PATCH", f"/tickets/{ticket_id}", json={"statusId": "ST-9"})
    await simulator.tenant(
        "POST", f"/tickets/{ticket_id}/rating", json={"contactId": "C-1", "stars": 4}
    )
    rated = await client.tickets.get(ticket_id)
    assert rated.status_id == "ST-9"
    assert rated.rating is not None
    assert (rated.rating.stars, rated.rating.contact_id, rated.rating.comment) == (4, "C-1", None)
    assert rated.modified_at > before
    assert [t.id async for t in client.tickets.modified_since(before)] == [ticket_id]
    bad = await simulator.control.post(
        f"/_sandbox/tenant/tickets/{ticket_id}/rating", json={"contactId": "C-1", "stars": 6}
    )
    assert bad.status_code == 422


async def test_internal_tickets_and_form_fields(client: CasaviClient, simulator: SimHandle) -> None:
    await seed_portfolio(client)
    await client.ticket_types.create(
        TicketTypeWrite(
            id="TT-FORM",
            name="Schaden mit Formular",
            form_fields=[
                TicketFormField(
                    id="f-room",
                    type="select",
                    title="Raum",
                    required=True,
                    options=["Küche", "Bad"],
                ),
                TicketFormField(id="f-since", type="date", title="Seit wann"),
            ],
        )
    )
    assert [f.id for f in (await client.ticket_types.get("TT-FORM")).form_fields] == [
        "f-room",
        "f-since",
    ]
    missing = await simulator.control.post(
        "/_sandbox/tenant/tickets", json={**TENANT_TICKET, "ticketTypeId": "TT-FORM"}
    )
    assert missing.status_code == 422
    ticket_id = await _tenant_ticket(simulator, ticketTypeId="TT-FORM", fields={"f-room": "Bad"})
    assert (await client.tickets.get(ticket_id)).fields == {"f-room": "Bad"}
    await client.tickets.create(
        TicketCreate(
            id="T-INT",
            ticket_type_id="TT-1",
            subject="Nur intern",
            property_id="P-1",
            visibility="internal",
        )
    )
    assert (await client.tickets.get("T-INT")).visibility == "internal"
