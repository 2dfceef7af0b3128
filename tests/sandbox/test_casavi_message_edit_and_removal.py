"""Editing a ticket message and removing a ticket (casavi-api.md §8: ``ticketcomment``
update, ``ticket`` remove): the client's calls against the simulator, every request and
answer validated against openapi/casavi.yaml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.errors import CasaviNotFound, CasaviRejected
from app.adapters.casavi.wire_tickets import TicketCreate, TicketMessageCreate
from tests.support.casavi import SimHandle, seed_portfolio


async def _ticket_with_note(client: CasaviClient) -> None:
    await seed_portfolio(client)
    await client.tickets.create(
        TicketCreate(id="IX-1", ticket_type_id="TT-1", subject="Heizung", property_id="P-1")
    )
    note = TicketMessageCreate(id="N-1", author_id="S-1", visibility="public", content="Kommt")
    await client.tickets.add_message("IX-1", note)


async def test_an_edited_note_changes_only_its_content(client: CasaviClient) -> None:
    await _ticket_with_note(client)
    before = (await client.tickets.get("IX-1")).modified_at
    original = await client.tickets.get_message("IX-1", "N-1")
    assert original.edited_at is None

    edited = await client.tickets.update_message("IX-1", "N-1", "Kommt morgen um 9")

    assert (edited.content, edited.author_id, edited.visibility) == (
        "Kommt morgen um 9",
        "S-1",
        "public",
    )
    assert (edited.written_at, edited.internal_id) == (original.written_at, original.internal_id)
    assert edited.edited_at is not None
    assert await client.tickets.get_message("IX-1", "N-1") == edited
    # The ticket's modifiedAt moves, so the inbound poll sees the edit.
    assert [t.id async for t in client.tickets.modified_since(before)] == ["IX-1"]
    # The same edit again (a retry) changes nothing.
    assert await client.tickets.update_message("IX-1", "N-1", "Kommt morgen um 9") == edited


async def test_editing_a_missing_message_or_a_tenants_is_refused(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await _ticket_with_note(client)
    with pytest.raises(CasaviNotFound):
        await client.tickets.update_message("IX-1", "N-404", "x")
    with pytest.raises(CasaviNotFound):
        await client.tickets.update_message("IX-404", "N-1", "x")
    tenant = await simulator.tenant(
        "POST", "/tickets/IX-1/messages", json={"contactId": "C-1", "content": "Danke"}
    )
    with pytest.raises(CasaviRejected) as refused:
        await client.tickets.update_message("IX-1", tenant["id"], "geändert")
    assert refused.value.http_status == 422
    assert (await client.tickets.get_message("IX-1", tenant["id"])).content == "Danke"


async def test_a_removed_ticket_goes_with_its_messages(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await _ticket_with_note(client)
    since = datetime.now(UTC) - timedelta(minutes=1)

    assert await client.tickets.remove("IX-1") is True

    with pytest.raises(CasaviNotFound):
        await client.tickets.get("IX-1")
    with pytest.raises(CasaviNotFound):
        await client.tickets.get_message("IX-1", "N-1")
    assert [t.id async for t in client.tickets.modified_since(since)] == []
    assert simulator.state.store.count("messages") == 0
    # Removing it again is not an error: it is already gone.
    assert await client.tickets.remove("IX-1") is False
    assert await simulator.route_count("DELETE /v2/tickets/IX-1") == 2
