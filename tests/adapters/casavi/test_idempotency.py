"""Creates are keyed by our reference id: a lost answer never produces a duplicate."""

from __future__ import annotations

import pytest

from app.adapters.casavi import CasaviClient, CasaviConflict
from app.adapters.casavi.wire import PropertyWrite, StaffWrite
from app.adapters.casavi.wire_tickets import (
    TicketCreate,
    TicketMessageCreate,
    TicketTypeWrite,
)
from tests.support.casavi import SimHandle


async def test_created_but_response_lost_produces_no_duplicate(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-0", name="warm-up"))  # authenticated
    await simulator.faults(lose_responses=1)
    created = await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    assert created.id == "P-1"
    assert created.name == "Haus"
    assert simulator.state.store.count("properties") == 2
    assert await simulator.route_count("POST /v2/properties") == 2  # warm-up + the lost one
    assert await simulator.route_count("GET /v2/properties/P-1") == 1  # looked up, not re-sent


async def test_lost_response_on_a_message_is_looked_up_not_resent(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    await client.ticket_types.create(TicketTypeWrite(id="TT-1", name="Schaden"))
    await client.staff.create(StaffWrite(id="S-1", last_name="Muster", email="s@example.org"))
    await client.tickets.create(
        TicketCreate(id="T-1", ticket_type_id="TT-1", subject="Heizung", property_id="P-1")
    )
    await simulator.faults(lose_responses=1)
    message = TicketMessageCreate(id="N-1", author_id="S-1", visibility="public", content="Hi")
    created = await client.tickets.add_message("T-1", message)
    assert created.id == "N-1"
    assert [m.id async for m in client.tickets.messages("T-1")] == ["N-1"]


async def test_existing_reference_id_is_a_conflict(client: CasaviClient) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    with pytest.raises(CasaviConflict) as caught:
        await client.properties.create(PropertyWrite(id="P-1", name="Anderes Haus"))
    assert caught.value.http_status == 409
    assert (await client.properties.get("P-1")).name == "Haus"


async def test_lost_responses_on_every_try_still_create_once(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-0", name="warm-up"))
    await simulator.faults(lose_responses=3)
    for n in range(1, 4):
        assert (await client.properties.create(PropertyWrite(id=f"P-{n}", name="x"))).id
    assert simulator.state.store.count("properties") == 4
