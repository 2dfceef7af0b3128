"""The simulator implements the contract: what it accepts, what it rejects, what it keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import pytest

from app.adapters.casavi import CasaviClient, CasaviClientConfig
from app.adapters.casavi.wire_tickets import (
    PostWrite,
    TicketCreate,
    TicketMessageCreate,
    TicketStatusWrite,
    TicketUpdate,
)
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
from tests.support.asgi import IN_PROCESS, asgi_transport
from tests.support.casavi import SimHandle, seed_portfolio, token_for


async def test_requests_without_or_with_a_bad_token_get_401(raw: httpx.AsyncClient) -> None:
    assert (await raw.get("/v2/properties")).status_code == 401
    response = await raw.get("/v2/properties", headers={"token": "made-up"})
    assert response.status_code == 401
    assert response.json()["status"] == 401


@pytest.mark.parametrize("secret", ["nope", "geheim-ä€"])  # non-ASCII once gave a 500
async def test_wrong_secret_gets_401(raw: httpx.AsyncClient, secret: str) -> None:
    response = await raw.post("/v2/authenticate", json={"key": SANDBOX_KEY, "secret": secret})
    assert response.status_code == 401


async def test_token_answer_has_the_documented_shape(raw: httpx.AsyncClient) -> None:
    response = await raw.post(
        "/v2/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
    )
    body = response.json()
    assert set(body) == {"token", "expiresAt"}
    assert body["expiresAt"].endswith("Z")
    assert datetime.fromisoformat(body["expiresAt"]) > datetime.now(UTC)


async def test_invalid_bodies_are_rejected(raw: httpx.AsyncClient) -> None:
    headers = {"token": await token_for(raw)}
    not_json = await raw.post("/v2/properties", content=b"{nope", headers=headers)
    assert not_json.status_code == 400
    missing = await raw.post("/v2/properties", json={"id": "P-1"}, headers=headers)
    assert missing.status_code == 422
    wrong_type = await raw.post("/v2/properties", json={"id": "P-1", "name": 5}, headers=headers)
    assert wrong_type.status_code == 422
    naive = await raw.post(
        "/v2/units",
        json={"id": "U", "propertyId": "P", "startDate": "2026-01-01T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422


async def test_duplicate_reference_id_is_409_and_unknown_is_404(raw: httpx.AsyncClient) -> None:
    headers = {"token": await token_for(raw)}
    body = {"id": "P-1", "name": "Haus"}
    assert (await raw.post("/v2/properties", json=body, headers=headers)).status_code == 201
    assert (await raw.post("/v2/properties", json=body, headers=headers)).status_code == 409
    assert (await raw.get("/v2/properties/P-2", headers=headers)).status_code == 404
    assert (await raw.delete("/v2/properties/P-2", headers=headers)).status_code == 404


async def test_reference_ids_with_slashes_and_dots_round_trip(client: CasaviClient) -> None:
    await seed_portfolio(client)
    unit = await client.units.get("P-1/U.1")
    assert unit.property_id == "P-1"
    assert unit.internal_id > 0
    assert [u.id async for u in client.units.list()] == ["P-1/U.1"]


async def test_master_data_update_and_delete(client: CasaviClient) -> None:
    await seed_portfolio(client)
    contact = await client.contacts.get("C-1")
    assert contact.contracts[0].type == "RENTER"
    assert contact.is_registered is False
    changed = await client.contacts.update(
        msgspec.structs.replace(contact, email="neu@example.org")  # same id, new e-mail
    )
    assert changed.email == "neu@example.org"
    assert changed.internal_id == contact.internal_id
    assert await client.contacts.delete("C-1") is True
    assert await client.contacts.find("C-1") is None


async def test_staff_responsibilities_show_on_the_property(client: CasaviClient) -> None:
    await seed_portfolio(client)
    prop = await client.properties.get("P-1")
    assert [(r.contact_id, r.role_name, r.role_type) for r in prop.responsibilities] == [
        ("S-1", "Objektbetreuung", "internal")
    ]
    ticket_type = await client.ticket_types.get("TT-1")
    assert ticket_type.locked is True  # owned by the ERP


async def test_ticket_lifecycle_with_messages(client: CasaviClient) -> None:
    await seed_portfolio(client)
    await client.ticket_statuses.create(
        TicketStatusWrite(id="ST-2", name="In Arbeit", type="IN_PROGRESS")
    )
    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    ticket = await client.tickets.create(
        TicketCreate(
            id="IX-4711",
            number="4711",
            ticket_type_id="TT-1",
            subject="Heizung kalt",
            description="Seit gestern",
            hint1="Schlüssel beim Hausmeister",
            hint2="vormittags",
            reporter_contact_id="C-1",
            trade="Heizung",
            reported_at=due,
            property_id="P-1",
            unit_id="P-1/U.1",
            technical_object="Therme",
            responsible_staff_id="S-1",
            responsible_role_id="R-1",
            due_from=due,
            due_until=due,
        )
    )
    assert (ticket.origin, ticket.closed_at, ticket.hint1) == (
        "manager",
        None,
        "Schlüssel beim Hausmeister",
    )
    changed = await client.tickets.change("IX-4711", TicketUpdate(status_id="ST-2", unit_id=None))
    assert (changed.status_id, changed.unit_id, changed.subject) == ("ST-2", None, "Heizung kalt")
    public = TicketMessageCreate(id="N-1", author_id="S-1", visibility="public", content="Kommt")
    internal = TicketMessageCreate(
        id="N-2", author_id="S-1", visibility="internal", content="intern"
    )
    await client.tickets.add_message("IX-4711", public)
    await client.tickets.add_message("IX-4711", internal)
    messages = [
        (m.id, m.visibility, m.author_type) async for m in client.tickets.messages("IX-4711")
    ]
    assert messages == [("N-1", "public", "staff"), ("N-2", "internal", "staff")]
    closed = await client.tickets.close("IX-4711")
    assert closed.closed_at is not None
    again = await client.tickets.close("IX-4711")  # closing twice changes nothing
    assert again.closed_at == closed.closed_at


async def test_object_wide_ticket_and_board_post(client: CasaviClient) -> None:
    await seed_portfolio(client)
    notice = await client.tickets.create(
        TicketCreate(
            id="IX-1",
            ticket_type_id="TT-NOTICE",
            subject="Wasser aus",
            property_id="P-1",
            object_wide=True,
        )
    )
    assert notice.object_wide is True
    assert notice.unit_id is None
    post = await client.posts.create(
        PostWrite(id="B-1", property_id="P-1", author_id="S-1", title="Treppenhaus", content="…")
    )
    assert (post.kind, post.author_id) == ("announcement", "S-1")
    assert await client.posts.remove("B-1") is True
    assert await client.posts.find("B-1") is None
    assert await client.posts.remove("B-1") is False


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "kept.db"
    config = CasaviClientConfig(base_url=IN_PROCESS, key=SANDBOX_KEY, secret=SANDBOX_SECRET)
    for round_ in (1, 2):
        app = create_casavi_simulator(state)
        try:
            async with CasaviClient(config, transport=asgi_transport(app)) as client:
                if round_ == 1:
                    await seed_portfolio(client)
                else:
                    assert (await client.properties.get("P-1")).name == "Lindenhof"
                    assert [c.id async for c in client.contacts.list()] == ["C-1"]
        finally:
            app.simulator.store.close()


@pytest.mark.parametrize("page_size", [1, 3])
async def test_explicit_page_size_is_honoured(
    raw: httpx.AsyncClient, simulator: SimHandle, page_size: int
) -> None:
    headers = {"token": await token_for(raw)}
    for n in range(5):
        await raw.post("/v2/staff-roles", json={"id": f"R-{n}", "name": "x"}, headers=headers)
    url: str | None = f"/v2/staff-roles?pageSize={page_size}"
    pages = []
    while url:
        body = (await raw.get(url, headers=headers)).json()
        pages.append(len(body["list"]))
        url = body["_links"]["next"]
    assert sum(pages) == 5
    assert max(pages) == page_size
