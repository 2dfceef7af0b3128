"""The callback endpoint (HMAC, tolerance, envelope, stored once) and the inbound-events
API (parked events: visible, retried after the missing reference appears, discarded)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import msgspec

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.casavi.wire import ContactWrite, Contract
from app.domain.keys import RecordKey
from app.sandbox.casavi import ServerThread
from app.sync.stores import two_way_of
from tests.integration.inbound.conftest import CALLBACK_SECRET, Inbound

URL = "/api/v1/systems/test/callbacks/casavi"


def _event(ticket_id: str = "cv-unknown", event_id: str | None = None) -> bytes:
    return msgspec.json.encode(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "type": "ticket.updated",
            "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"ticketId": ticket_id, "changedFields": ["subject"]},
        }
    )


async def _post(http: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return await http.post(URL, content=body, headers=headers)


async def test_bad_signatures_are_401_and_nothing_is_stored(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    _, http = gateway
    body = _event()
    now = int(time.time())
    cases = {
        "missing": None,
        "malformed": "v1=abc",
        "stale": sign(body, [CALLBACK_SECRET], now - 3600),
        "future": sign(body, [CALLBACK_SECRET], now + 3600),
        "wrong secret": sign(body, ["not-the-secret"]),
        "other body": sign(body + b" ", [CALLBACK_SECRET]),
    }
    for case, signature in cases.items():
        response = await _post(http, body, signature)
        assert response.status_code == 401, case
        assert response.headers["content-type"].startswith("application/problem+json")
    # A signed body that is not an envelope: 400 problem, never 500.
    for bad in (b"not json", b'{"id": "x"}', b"[]", _event()[:-5]):
        response = await _post(http, bad, sign(bad, [CALLBACK_SECRET]))
        assert response.status_code == 400, bad
        assert response.json()["status"] == 400
    assert await inbound.inbox() == []


async def test_a_duplicate_event_is_accepted_and_stored_once(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    _, http = gateway
    body = _event(event_id="evt_dup_1")
    first = await _post(http, body, sign(body, [CALLBACK_SECRET]))
    second = await _post(http, body, sign(body, [CALLBACK_SECRET]))
    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert [e.external_id for e in await inbound.inbox()] == ["evt_dup_1"]


async def test_a_parked_event_is_retried_after_the_missing_reference_appears(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient], admin_key: str
) -> None:
    # rule T10: a tenant whose person casavi did not get from the gateway (here: added in
    # casavi directly) cannot be the reporter yet: the event is parked with the reason.
    _, http = gateway
    tenant = await inbound.tenant()
    await inbound.casavi.contacts.create(
        ContactWrite(
            id="P-NEW-1",
            last_name="Neumieter",
            contracts=[
                Contract(type="RENTER", property_id=tenant["propertyId"], unit_id=tenant["unitId"])
            ],
        )
    )
    casavi_id = await inbound.open_ticket("Klingel defekt", contactId="P-NEW-1")
    headers = {"X-API-Key": admin_key}
    parked: list[dict[str, object]] = []

    async def is_parked() -> bool:
        nonlocal parked
        response = await http.get(
            "/api/v1/systems/test/inbound-events", params={"status": "parked"}, headers=headers
        )
        parked = response.json()["items"]
        return bool(parked)

    await inbound.wait_for(is_parked)
    (event,) = parked
    assert event["ticketRef"] == casavi_id
    assert "unknown reporter 'P-NEW-1'" in str(event["reason"])
    assert event["nextAttemptAt"] is not None
    assert await inbound.ticket_no(casavi_id) is None

    # The person reaches casavi through the gateway (a run links it); retry now.
    await two_way_of(inbound.services.stores).links.link(
        "test", RecordKey.person("P-NEW-1"), "P-NEW-1", None
    )
    retried = await http.post(
        f"/api/v1/systems/test/inbound-events/{event['id']}/retry", headers=headers
    )
    assert retried.status_code == 202

    async def created() -> bool:
        return await inbound.ticket_no(casavi_id) is not None and await inbound.settled()

    await inbound.wait_for(created)
    (row,) = await inbound.rows("tickets", source_ref=casavi_id)
    assert row.reporter_person_no == "P-NEW-1"
    done = await inbound.services.inbox.get("test", int(str(event["id"])))
    assert done is not None
    assert done.status == "done"
    # Retrying a processed event is refused; so is an unknown one.
    again = await http.post(
        f"/api/v1/systems/test/inbound-events/{event['id']}/retry", headers=headers
    )
    assert again.status_code == 409
    missing = await http.post("/api/v1/systems/test/inbound-events/999999/retry", headers=headers)
    assert missing.status_code == 404


async def test_a_parked_event_can_be_discarded_and_needs_admin(
    inbound: Inbound,
    gateway: tuple[ServerThread, httpx.AsyncClient],
    admin_key: str,
    ixhaus_key: str,
) -> None:
    _, http = gateway
    body = _event("cv-does-not-exist")
    assert (await _post(http, body, sign(body, [CALLBACK_SECRET]))).status_code == 202

    async def is_parked() -> bool:
        return bool(await inbound.inbox("parked"))

    await inbound.wait_for(is_parked)
    (event,) = await inbound.inbox("parked")
    assert event.last_error == "casavi has no ticket cv-does-not-exist"
    url = f"/api/v1/systems/test/inbound-events/{event.id}/discard"
    assert (await http.post(url, headers={"X-API-Key": ixhaus_key})).status_code == 403
    response = await http.post(url, headers={"X-API-Key": admin_key})
    assert response.status_code == 200
    assert response.json()["status"] == "discarded"
    assert await inbound.inbox("parked") == []
