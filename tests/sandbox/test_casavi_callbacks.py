"""The simulated tenant fires signed callbacks; delivery faults drop, duplicate, delay and
reorder them. A receiver in the test verifies every signature like the gateway will."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.callbacks import InvalidSignature, sign, verify
from tests.support.casavi import CallbackReceiver, SimHandle, seed_portfolio

TENANT_TICKET = {
    "contactId": "C-1",
    "propertyId": "P-1",
    "unitId": "P-1/U.1",
    "ticketTypeId": "TT-1",
    "subject": "Tropfender Hahn",
}


async def _ticket(simulator: SimHandle, subject: str = "Tropfender Hahn") -> str:
    created = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, "subject": subject})
    return str(created["id"])


async def test_tenant_actions_fire_signed_callbacks(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    ticket_id = await _ticket(simulator)
    message = await simulator.tenant(
        "POST", f"/tickets/{ticket_id}/messages", json={"contactId": "C-1", "content": "Bitte"}
    )
    document = await simulator.tenant(
        "POST",
        f"/tickets/{ticket_id}/attachments",
        params={"fileName": "hahn.jpg"},
        content=b"\xff\xd8jpeg",
        headers={"Content-Type": "image/jpeg"},
    )
    await simulator.tenant("PATCH", f"/tickets/{ticket_id}", json={"subject": "Hahn tropft"})
    events = await receiver.wait_for(4)
    assert [e["type"] for e in events] == [
        "ticket.created",
        "ticket.message.created",
        "ticket.attachment.created",
        "ticket.updated",
    ]
    assert {e["data"]["ticketId"] for e in events} == {ticket_id}
    assert events[1]["data"]["messageId"] == message["id"]
    assert events[2]["data"]["documentId"] == document["id"]
    assert events[3]["data"]["changedFields"] == ["subject"]
    assert len({e["id"] for e in events}) == 4
    # The thin payload is enough: the gateway fetches the current state through the contract.
    ticket = await client.tickets.get(ticket_id)
    assert (ticket.origin, ticket.subject, ticket.reporter_contact_id) == (
        "tenant",
        "Hahn tropft",
        "C-1",
    )
    assert [m.author_type async for m in client.tickets.messages(ticket_id)] == ["contact"]
    assert [d.uploaded_by async for d in client.tickets.attachments(ticket_id)] == ["tenant"]
    assert receiver.rejected == 0


async def test_a_receiver_with_another_secret_rejects_every_delivery(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    receiver.secret = "not-the-shared-secret"
    await _ticket(simulator)
    async with asyncio.timeout(30):
        while (await simulator.stats())["callbacks"].get("failed", 0) < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert receiver.events == []
    assert receiver.rejected == 3  # the simulator tried three times, each refused


async def test_tenants_cannot_create_object_notices(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await seed_portfolio(client)
    response = await simulator.control.post(
        "/_sandbox/tenant/tickets", json={**TENANT_TICKET, "ticketTypeId": "TT-NOTICE"}
    )
    assert response.status_code == 422


async def test_dropped_callbacks_never_arrive(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    await simulator.faults(drop_callbacks=1)
    await _ticket(simulator, "first")
    second = await _ticket(simulator, "second")
    events = await receiver.wait_for(1)
    await asyncio.sleep(0.2)
    assert [e["data"]["ticketId"] for e in events] == [second]
    assert (await simulator.stats())["callbacks"]["dropped"] == 1


async def test_duplicated_callbacks_arrive_twice_with_the_same_id(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    await simulator.faults(duplicate_callbacks=True)
    await _ticket(simulator)
    events = await receiver.wait_for(2)
    assert events[0]["id"] == events[1]["id"]
    assert events[0] == events[1]


async def test_delayed_callbacks_arrive_late(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    await simulator.faults(callback_delay_ms=400)
    started = time.monotonic()
    await _ticket(simulator)
    await receiver.wait_for(1)
    assert time.monotonic() - started >= 0.4


async def test_reordered_callbacks_arrive_newest_first(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    await simulator.faults(reorder_callbacks=3)
    created = [await _ticket(simulator, f"t{n}") for n in range(3)]
    events = await receiver.wait_for(3)
    assert [e["data"]["ticketId"] for e in events] == list(reversed(created))


def test_signature_covers_timestamp_and_raw_body() -> None:
    body = b'{"id":"evt_1","type":"ticket.created"}'
    header = sign(body, ["s1"], timestamp=1_700_000_000)
    assert verify(header, body, ["s1"], now=1_700_000_100) == 1_700_000_000
    with pytest.raises(InvalidSignature):
        verify(header, body.replace(b":", b": "), ["s1"], now=1_700_000_100)  # re-serialised
    with pytest.raises(InvalidSignature):
        verify(header, body, ["s2"], now=1_700_000_100)
    with pytest.raises(InvalidSignature):
        verify(header, body, ["s1"], now=1_700_000_301)  # too old
    with pytest.raises(InvalidSignature):
        verify(header, body, ["s1"], now=1_699_999_699)  # from the future


def test_signature_allows_rotation_and_rejects_garbage_cleanly() -> None:
    body = b"{}"
    header = sign(body, ["old", "new"], timestamp=100)
    assert verify(header, body, ["new"], now=100) == 100
    assert verify(header, body, ["old"], now=100) == 100
    for garbage in (None, "", "garbage", "t=abc,v1=00", "v1=00", "t=100", "t=100,v1="):
        with pytest.raises(InvalidSignature):
            verify(garbage, body, ["old"], now=100)
