"""Ticket fields both sides changed: each conflict policy, the record with base and both
values, and resolution over the API. A field only one side changed is never a conflict."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update

from app.sandbox.casavi import ServerThread
from app.sync.stores import two_way_of
from tests.integration.inbound.conftest import Inbound


async def _set_in_ixhaus(inbound: Inbound, number: int, **values: Any) -> None:
    t = inbound.tables.tickets
    async with inbound.ixhaus.begin() as conn:
        await conn.execute(update(t).where(t.c.ticket_no == number).values(**values))


async def _tenant_changes(inbound: Inbound, casavi_id: str, **changes: str) -> None:
    before = len(await inbound.inbox())
    await inbound.sim.tenant("PATCH", f"/tickets/{casavi_id}", json=changes)

    async def settled() -> bool:
        return len(await inbound.inbox()) > before and await inbound.settled()

    await inbound.wait_for(settled)


async def _ixhaus(inbound: Inbound, number: int) -> Any:
    (row,) = await inbound.rows("tickets", ticket_no=number)
    return row


async def test_each_conflict_policy_and_resolution(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient], admin_key: str
) -> None:
    _, http = gateway
    headers = {"X-API-Key": admin_key}
    casavi_id = await inbound.open_ticket("Fenster klemmt")

    async def created() -> bool:
        return await inbound.ticket_no(casavi_id) is not None and await inbound.settled()

    await inbound.wait_for(created)
    number = await inbound.ticket_no(casavi_id)
    assert number is not None

    # Only casavi changed the description: applied, no conflict.
    await _tenant_changes(inbound, casavi_id, description="Schlafzimmer")
    assert (await _ixhaus(inbound, number)).description == "Schlafzimmer"
    assert (
        await two_way_of(inbound.services.stores).conflicts.list("test", open_only=False, limit=10)
        == []
    )

    # Both changed the subject, default policy: iX-Haus wins, casavi gets its value back.
    await _set_in_ixhaus(inbound, number, subject="Fenster (Techniker bestellt)")
    await _tenant_changes(inbound, casavi_id, subject="Fenster klemmt sehr")
    assert (await _ixhaus(inbound, number)).subject == "Fenster (Techniker bestellt)"
    assert (await inbound.casavi.tickets.get(casavi_id)).subject == "Fenster (Techniker bestellt)"
    (first,) = await two_way_of(inbound.services.stores).conflicts.list(
        "test", open_only=False, limit=10
    )
    assert (first.field, first.policy, first.resolution) == ("subject", "ixhaus_wins", "ixhaus")
    assert (first.base_value, first.ixhaus_value, first.casavi_value) == (
        "Fenster klemmt",
        "Fenster (Techniker bestellt)",
        "Fenster klemmt sehr",
    )

    # casavi wins for the description: iX-Haus takes casavi's value.
    await inbound.configure({"conflictPolicy": {"description": "casavi_wins"}})
    await _set_in_ixhaus(inbound, number, description="Schlafzimmer links")
    await _tenant_changes(inbound, casavi_id, description="Schlafzimmer rechts")
    assert (await _ixhaus(inbound, number)).description == "Schlafzimmer rechts"
    conflicts = await two_way_of(inbound.services.stores).conflicts.list(
        "test", open_only=False, limit=10
    )
    assert [(c.field, c.resolution) for c in conflicts][-1] == ("description", "casavi")

    # Manual: both keep their value until an operator resolves it over the API.
    await inbound.configure({"conflictPolicy": {"subject": "manual"}})
    await _set_in_ixhaus(inbound, number, subject="Fenster: Termin Montag")
    await _tenant_changes(inbound, casavi_id, subject="Fenster: bitte Dienstag")
    assert (await _ixhaus(inbound, number)).subject == "Fenster: Termin Montag"
    assert (await inbound.casavi.tickets.get(casavi_id)).subject == "Fenster: bitte Dienstag"
    listed = await http.get("/api/v1/systems/test/conflicts", headers=headers)
    assert listed.status_code == 200
    (manual,) = listed.json()["items"]
    assert (manual["field"], manual["policy"], manual["resolution"]) == (
        "subject",
        "manual",
        None,
    )
    everything = await http.get(
        "/api/v1/systems/test/conflicts", params={"status": "all"}, headers=headers
    )
    assert len(everything.json()["items"]) == 3
    # A second event about the same open conflict does not record it again.
    await _tenant_changes(inbound, casavi_id, description="Schlafzimmer rechts")
    assert (
        len(
            await two_way_of(inbound.services.stores).conflicts.list(
                "test", open_only=True, limit=10
            )
        )
        == 1
    )

    url = f"/api/v1/systems/test/conflicts/{manual['id']}/resolve"
    bad = await http.post(url, json={"side": "value"}, headers=headers)
    assert bad.status_code == 422
    resolved = await http.post(
        url, json={"side": "value", "value": "Fenster: Mittwoch"}, headers=headers
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution"] == "value"
    assert (await _ixhaus(inbound, number)).subject == "Fenster: Mittwoch"
    assert (await inbound.casavi.tickets.get(casavi_id)).subject == "Fenster: Mittwoch"
    base = await two_way_of(inbound.services.stores).conflicts.base("test", number)
    assert base["subject"] == "Fenster: Mittwoch"
    again = await http.post(url, json={"side": "ixhaus"}, headers=headers)
    assert again.status_code == 409
    # After the resolution, the next casavi event is no conflict (the base moved).
    await _tenant_changes(inbound, casavi_id, description="Schlafzimmer rechts hinten")
    assert (
        await two_way_of(inbound.services.stores).conflicts.list("test", open_only=True, limit=10)
        == []
    )
    assert (await _ixhaus(inbound, number)).subject == "Fenster: Mittwoch"


async def test_a_status_change_in_casavi_reaches_ixhaus_and_s2(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient], ixhaus_key: str
) -> None:
    casavi_id = await inbound.open_ticket("Licht im Flur")

    async def created() -> bool:
        return await inbound.ticket_no(casavi_id) is not None and await inbound.settled()

    await inbound.wait_for(created)
    number = await inbound.ticket_no(casavi_id)
    assert number is not None
    statuses = [s async for s in inbound.casavi.ticket_statuses.list()]
    current = (await _ixhaus(inbound, number)).status_no
    target = next(s.id for s in statuses if s.id != current)
    await _tenant_changes(inbound, casavi_id, statusId=target)
    assert (await _ixhaus(inbound, number)).status_no == target
    # rule S2: the last portal change is the status
    state = await inbound.services.stores.portal_states.one("test", number)
    assert state is not None
    assert state.last_portal_change == "status"
    # ... served to iX-Haus plus by the portal-status endpoints, one ticket and in bulk.
    _, http = gateway
    headers = {"X-API-Key": ixhaus_key}
    one = await http.get(f"/api/v1/systems/test/tickets/{number}/portal-status", headers=headers)
    assert one.status_code == 200
    assert one.json()["lastPortalChange"] == "status"
    assert one.json()["lastPortalChangeAt"] is not None
    bulk = await http.get(
        "/api/v1/systems/test/tickets/portal-status",
        params={"numbers": str(number)},
        headers=headers,
    )
    assert [i["lastPortalChange"] for i in bulk.json()["items"]] == ["status"]
