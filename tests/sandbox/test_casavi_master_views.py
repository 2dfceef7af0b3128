"""What the simulator derives and filters on master data: declared list filters are honoured,
malformed query parameters are refused and unknown ones counted, property addresses list their
units, units list their contracts, and contacts carry casavi's own invited/registered state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.wire import ContactWrite, Contract, UnitWrite
from tests.support.casavi import SimHandle, seed_portfolio, token_for

LAST_YEAR = datetime.now(UTC) - timedelta(days=365)


async def _more_people(client: CasaviClient) -> None:
    """C-2 owns P-1/U.1 (rule M1), C-3 holds nothing, C-4 rented P-1/U.1 until last year."""
    await client.contacts.create(
        ContactWrite(
            id="C-2",
            last_name="Eigner",
            contracts=[Contract(type="OWNER", property_id="P-1", unit_id="P-1/U.1")],
        )
    )
    await client.contacts.create(ContactWrite(id="C-3", last_name="Interessent"))
    await client.contacts.create(
        ContactWrite(
            id="C-4",
            last_name="Vormieter",
            contracts=[
                Contract(
                    type="RENTER",
                    property_id="P-1",
                    unit_id="P-1/U.1",
                    start_date=LAST_YEAR - timedelta(days=900),
                    end_date=LAST_YEAR,
                )
            ],
        )
    )


async def _ids(client: CasaviClient, **filters: str | bool) -> list[str]:
    return [c.id async for c in client.contacts.list(modified_after=None, **filters)]


async def test_contact_filters_are_honoured(client: CasaviClient, simulator: SimHandle) -> None:
    await seed_portfolio(client)
    await _more_people(client)
    (await simulator.control.post("/_sandbox/contacts/C-1/register")).raise_for_status()
    (await simulator.control.post("/_sandbox/contacts/C-2/invite")).raise_for_status()
    assert await _ids(client, isRegistered=True) == ["C-1"]
    assert await _ids(client, isRegistered=False) == ["C-2", "C-3", "C-4"]
    assert await _ids(client, isInvited=True) == ["C-1", "C-2"]
    assert await _ids(client, isInvited=True, isRegistered=False) == ["C-2"]
    assert await _ids(client, role="OWNER") == ["C-2"]  # rule M1: owners hold OWNER contracts
    assert await _ids(client, role="RENTER") == ["C-1", "C-4"]
    owner = await client.contacts.get("C-2")
    assert [(c.type, c.unit_id) for c in owner.contracts] == [("OWNER", "P-1/U.1")]


@pytest.mark.parametrize(
    "url",
    [
        "/v2/contacts?isRegistered=yes",
        "/v2/contacts?role=TENANT",
        "/v2/tickets/T-1/messages?visibility=secret",
    ],
)
async def test_malformed_query_parameters_get_400(raw: httpx.AsyncClient, url: str) -> None:
    response = await raw.get(url, headers={"token": await token_for(raw)})
    assert response.status_code == 400
    assert response.json()["status"] == 400


async def test_unknown_query_parameters_are_ignored_and_counted(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    # casavi's answer to an undeclared parameter is not published: the simulator ignores it
    # like most APIs do, and counts it, so tests still catch a filter the gateway invented.
    headers = {"token": await token_for(raw)}
    for url, status in (
        ("/v2/contacts?foo=1", 200),
        ("/v2/units?isRegistered=true", 200),  # declared on contacts, not on units
        ("/v2/tickets?status=open", 200),
        ("/v2/properties/P-1?expand=units", 404),
    ):
        assert (await raw.get(url, headers=headers)).status_code == status
    assert (await simulator.stats())["unknownQuery"] == {
        "GET /v2/contacts foo": 1,
        "GET /v2/units isRegistered": 1,
        "GET /v2/tickets status": 1,
        "GET /v2/properties/{propertyId} expand": 1,
    }
    simulator.state.stats.unknown_query.clear()  # expected here: the fixture checks none


async def test_units_list_current_contracts_unless_inactive_ones_are_asked_for(
    client: CasaviClient,
) -> None:
    await seed_portfolio(client)
    await _more_people(client)
    unit = await client.units.get("P-1/U.1")
    assert [(c.contact_id, c.type) for c in unit.contracts] == [("C-1", "RENTER"), ("C-2", "OWNER")]
    listed = [u async for u in client.units.list(includeInactiveContracts=True)]
    assert [c.contact_id for c in listed[0].contracts] == ["C-1", "C-2", "C-4"]
    ended = listed[0].contracts[2]
    assert ended.end_date is not None
    assert ended.end_date < datetime.now(UTC)
    current = [u async for u in client.units.list(includeInactiveContracts=False)]
    assert [c.contact_id for c in current[0].contracts] == ["C-1", "C-2"]


async def test_property_addresses_list_the_units_there(client: CasaviClient) -> None:
    await seed_portfolio(client)  # P-1 at "Lindenstraße 1", unit U.1 without an address
    for unit_id, address in (
        ("P-1/U.2", "Lindenstraße 1, München"),
        ("P-1/U.3", "Lindenstraße 3, München"),
        ("P-1/U.4", "lindenstraße 3"),
    ):
        await client.units.create(UnitWrite(id=unit_id, property_id="P-1", address=address))
    expected = [
        ("Lindenstraße 1", ["P-1/U.1", "P-1/U.2"]),
        ("Lindenstraße 3", ["P-1/U.3", "P-1/U.4"]),
    ]
    prop = await client.properties.get("P-1")
    assert [(a.street, a.units) for a in prop.addresses] == expected
    listed = [p async for p in client.properties.list()]
    assert [(a.street, a.units) for a in listed[0].addresses] == expected


async def test_invited_and_registered_are_casavis_own_state(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await seed_portfolio(client)
    fresh = await client.contacts.get("C-1")
    assert (fresh.is_invited, fresh.is_registered) == (False, False)
    before = datetime.now(UTC)
    invited = await simulator.control.post("/_sandbox/contacts/C-1/invite")
    assert (invited.json()["isInvited"], invited.json()["isRegistered"]) == (True, False)
    # A registration is a change casavi reports through modifiedAfter.
    assert [c.id async for c in client.contacts.list(modified_after=before)] == ["C-1"]
    await simulator.control.post("/_sandbox/contacts/C-1/register")
    # A write from the gateway never resets casavi's state.
    written = ContactWrite(id="C-1", last_name="Mieterin", first_name="Mia Maria")
    updated = await client.contacts.update(written)
    assert (updated.first_name, updated.is_invited, updated.is_registered) == (
        "Mia Maria",
        True,
        True,
    )
    missing = await simulator.control.post("/_sandbox/contacts/C-404/register")
    assert missing.status_code == 404


async def test_a_tenant_who_acts_in_the_portal_is_registered(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await seed_portfolio(client)
    ticket = {"contactId": "C-1", "propertyId": "P-1", "ticketTypeId": "TT-1", "subject": "Licht"}
    await simulator.tenant("POST", "/tickets", json=ticket)
    contact = await client.contacts.get("C-1")
    assert (contact.is_invited, contact.is_registered) == (True, True)


async def test_an_owner_may_hold_a_whole_property(
    client: CasaviClient, raw: httpx.AsyncClient
) -> None:
    # rule M1: owners are contacts with OWNER contracts, of a unit or of the whole property.
    await seed_portfolio(client)
    await client.contacts.create(
        ContactWrite(
            id="C-5",
            last_name="Hauseigentümerin",
            contracts=[Contract(type="OWNER", property_id="P-1", unit_id=None)],
        )
    )
    assert await _ids(client, role="OWNER") == ["C-5"]
    # casavi's model is property -> unit -> contact (help centre): the whole-property owner
    # is shown on the property's unit, on the unit and on the contact.
    unit = await client.units.get("P-1/U.1")
    assert [(c.contact_id, c.type) for c in unit.contracts] == [("C-1", "RENTER"), ("C-5", "OWNER")]
    owner = await client.contacts.get("C-5")
    assert [(c.property_id, c.unit_id) for c in owner.contracts] == [("P-1", "P-1/U.1")]
    headers = {"token": await token_for(raw)}
    await raw.post("/v2/properties", json={"id": "P-2", "name": "Zweites Haus"}, headers=headers)
    for contract in (
        {"type": "RENTER", "propertyId": "P-1", "unitId": None},  # a renter needs a unit
        {"type": "OWNER", "propertyId": "P-2", "unitId": "P-1/U.1"},  # unit of another property
    ):
        body = {"id": "C-6", "lastName": "X", "contracts": [contract]}
        response = await raw.post("/v2/contacts", json=body, headers=headers)
        assert response.status_code == 422
