"""The callback envelope and signature the inbound flow verifies, the events for ratings and
casavi staff notes, and a lost callback that the poll alone must catch."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from datetime import UTC, datetime

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.callbacks import SIGNATURE_HEADER
from tests.support.casavi import CALLBACK_SECRET, CallbackReceiver, SimHandle, seed_portfolio

TENANT_TICKET = {"contactId": "C-1", "propertyId": "P-1", "ticketTypeId": "TT-1", "subject": "Tür"}
HEADER = re.compile(r"^t=(\d+),v1=([0-9a-f]{64})$")


async def test_envelope_and_signature(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    created = await simulator.tenant("POST", "/tickets", json=TENANT_TICKET)
    ticket_id = created["id"]
    await simulator.tenant(
        "POST", f"/tickets/{ticket_id}/rating", json={"contactId": "C-1", "stars": 5}
    )
    note = await simulator.control.post(
        f"/_sandbox/staff/tickets/{ticket_id}/messages",
        json={"staffId": "S-1", "content": "nur für uns"},
    )
    events = await receiver.wait_for(3)
    assert [e["type"] for e in events] == [
        "ticket.created",
        "ticket.rated",
        "ticket.message.created",
    ]
    for event in events:
        assert set(event) == {"id", "type", "occurredAt", "data"}
        assert event["occurredAt"].endswith("Z")
        assert event["data"]["ticketId"] == ticket_id
    assert events[2]["data"]["messageId"] == note.json()["id"]
    for headers, body in receiver.deliveries:
        match = HEADER.match(headers[SIGNATURE_HEADER.lower()])
        assert match is not None
        timestamp, signature = match.groups()
        assert abs(int(timestamp) - datetime.now(UTC).timestamp()) < 60
        expected = hmac.new(
            CALLBACK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(signature, expected)
    # rule N2: the event does not say "internal"; the fetched message does, and the inbound
    # flow must drop it.
    message = await client.tickets.get_message(ticket_id, events[2]["data"]["messageId"])
    assert (message.visibility, message.author_type) == ("internal", "staff")


async def test_a_lost_callback_is_caught_by_the_poll(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    # rule T10: tenant tickets arrive quickly even when a callback is lost.
    await seed_portfolio(client)
    before = datetime.now(UTC)
    await simulator.faults(drop_callbacks=1)
    lost = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, "subject": "lost"})
    seen = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, "subject": "seen"})
    events = await receiver.wait_for(1)
    await asyncio.sleep(0.1)
    assert [e["data"]["ticketId"] for e in receiver.events] == [seen["id"]]
    assert (await simulator.stats())["callbacks"]["dropped"] == 1
    polled = [t.id async for t in client.tickets.modified_since(before)]
    assert polled == [lost["id"], seen["id"]]
    assert events[0]["type"] == "ticket.created"


async def test_duplicated_and_reordered_callbacks_keep_their_ids(
    client: CasaviClient, simulator: SimHandle, receiver: CallbackReceiver
) -> None:
    await seed_portfolio(client)
    await simulator.faults(duplicate_callbacks=True, reorder_callbacks=2)
    first = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, "subject": "1"})
    second = await simulator.tenant("POST", "/tickets", json={**TENANT_TICKET, "subject": "2"})
    events = await receiver.wait_for(4)
    assert [e["data"]["ticketId"] for e in events] == [
        second["id"],
        second["id"],
        first["id"],
        first["id"],
    ]
    assert events[0]["id"] == events[1]["id"] != events[2]["id"] == events[3]["id"]
