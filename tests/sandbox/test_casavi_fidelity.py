"""Simulator fidelity (issue 18, item 5), each item against what public sources show of
casavi: caretakers as ``roleType: external`` responsibilities, invited but unregistered
contacts in the sandbox, the documented v1 ``POST /authenticate``."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.adapters.casavi import CasaviClient, CasaviClientConfig
from app.adapters.casavi.wire import ContactWrite, Contract
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
from tests.support.asgi import IN_PROCESS, asgi_transport
from tests.support.casavi import seed_portfolio


async def test_a_caretaker_is_an_external_responsibility_of_the_property(
    client: CasaviClient,
) -> None:
    # rule M2; documented shape: responsibilities[].roleType is internal or external.
    await seed_portfolio(client)
    await client.contacts.create(
        ContactWrite(
            id="caretaker.9",
            last_name="Hausmeister",
            first_name="Hugo",
            telephone="089 1",
            contracts=[Contract(type="CARETAKER", property_id="P-1", unit_id=None)],
        )
    )
    prop = await client.properties.get("P-1")
    assert [(r.contact_id, r.role_type, r.role_name) for r in prop.responsibilities] == [
        ("S-1", "internal", "Objektbetreuung"),
        ("caretaker.9", "external", "Hausmeister"),
    ]
    external = prop.responsibilities[1]
    assert (external.contact_name, external.telephone) == ("Hugo Hausmeister", "089 1")


async def test_the_sandbox_invites_contacts_without_registering_them(tmp_path: Path) -> None:
    app = create_casavi_simulator(tmp_path / "c.db", invite_contacts=True)
    try:
        config = CasaviClientConfig(base_url=IN_PROCESS, key=SANDBOX_KEY, secret=SANDBOX_SECRET)
        async with CasaviClient(config, transport=asgi_transport(app)) as client:
            await seed_portfolio(client)  # C-1 has an e-mail address
            await client.contacts.create(ContactWrite(id="C-9", last_name="Ohne Mail"))
            invited = [c.id async for c in client.contacts.list(isInvited=True, isRegistered=False)]
            assert invited == ["C-1"]
            quiet = await client.contacts.get("C-9")
            assert (quiet.is_invited, quiet.is_registered) == (False, False)
    finally:
        app.simulator.store.close()


async def test_the_documented_v1_authenticate_works(raw: httpx.AsyncClient) -> None:
    response = await raw.post("/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET})
    assert response.status_code == 200
    token = response.json()["token"]
    assert (await raw.get("/v2/properties", headers={"token": token})).status_code == 200
    refused = await raw.post("/authenticate", json={"key": SANDBOX_KEY, "secret": "wrong"})
    assert refused.status_code == 401
