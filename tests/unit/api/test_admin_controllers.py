"""The administrators' side of the API over fakes (scope ``admin``): system configuration,
inbound events, conflicts and alerts - answers, problems for bad input, and what reached
the fake stores and queue."""

from __future__ import annotations

import dataclasses
import datetime as dt

from app.alerts import events
from app.alerts.monitor import AlertMonitor
from app.domain.keys import TicketNumber
from app.sync.ports import NewConflict, NewInboxEvent
from tests.fakes import NOW
from tests.unit.api.gateway import Gateway, fields_of, problem, ticket


# -- system configuration ---------------------------------------------------------------------
async def test_configuration_needs_an_admin_key(gateway: Gateway) -> None:
    url = "/api/v1/systems/test/config"
    refused = await gateway.client.get(url, headers=gateway.headers("ixhaus"))
    assert "admin" in problem(refused, 403)["detail"]
    response = await gateway.client.get(url, headers=gateway.headers("admin"))
    assert (response.status_code, response.json()["version"]) == (200, 1)


async def test_a_patch_changes_the_configuration_and_names_its_actor(gateway: Gateway) -> None:
    response = await gateway.client.patch(
        "/api/v1/systems/test/config",
        json={"portalAccountLeadDays": 21},
        headers=gateway.headers("admin"),
    )
    assert response.status_code == 200
    assert (response.json()["version"], response.json()["portalAccountLeadDays"]) == (2, 21)
    document = await gateway.configs.document("test")
    assert document.portal_account_lead_days == 21
    assert [(s, c.actor) for s, c in gateway.configs.audit] == [("test", "apikey:admin-key")]
    changes = await gateway.client.get(
        "/api/v1/systems/test/config/changes", headers=gateway.headers("admin")
    )
    assert [c["actor"] for c in changes.json()["items"]] == ["apikey:admin-key"]


async def test_a_bad_patch_is_a_problem_naming_every_field_and_changes_nothing(
    gateway: Gateway,
) -> None:
    response = await gateway.client.patch(
        "/api/v1/systems/test/config",
        json={"portalAccountLeadDays": -1, "deleteAfterMoveOutDays": "soon"},
        headers=gateway.headers("admin"),
    )
    body = problem(response, 422)
    assert sorted(f or "" for f in fields_of(body)) == [
        "deleteAfterMoveOutDays",
        "portalAccountLeadDays",
    ]
    assert (await gateway.configs.version("test"), gateway.configs.audit) == (1, [])


# -- inbound events ---------------------------------------------------------------------------
async def _parked(gateway: Gateway, system: str = "test") -> int:
    event = NewInboxEvent(
        external_id=f"{system}-e1",
        event_type="ticket.created",
        ticket_ref="cv-1",
        occurred_at=NOW,
        payload={},
    )
    await gateway.inbox.add(system, [event])
    event_id = max(gateway.inbox.events)
    await gateway.inbox.park([event_id], "iX-Haus unreachable", NOW + dt.timedelta(minutes=5))
    return event_id


async def test_parked_events_are_listed_retried_and_queued(gateway: Gateway) -> None:
    event_id = await _parked(gateway)
    await _parked(gateway, "production")
    base = "/api/v1/systems/test/inbound-events"
    listed = await gateway.client.get(f"{base}?status=parked", headers=gateway.headers("admin"))
    items = listed.json()["items"]
    assert [(i["id"], i["reason"]) for i in items] == [(event_id, "iX-Haus unreachable")]
    retried = await gateway.client.post(
        f"{base}/{event_id}/retry", headers=gateway.headers("admin")
    )
    assert (retried.status_code, retried.json()["status"]) == (202, "received")
    assert [(name, args) for name, args, _ in gateway.queue.jobs] == [
        ("inbound_ticket", ("test", "cv-1"))
    ]
    # Only a parked (or waiting) event is retried: a done one is a conflict, nothing queued.
    await gateway.inbox.done(event_id)
    done = await gateway.client.post(f"{base}/{event_id}/retry", headers=gateway.headers("admin"))
    assert "done" in problem(done, 409)["detail"]
    assert len(gateway.queue.jobs) == 1


async def test_discarding_and_its_problems(gateway: Gateway) -> None:
    event_id = await _parked(gateway)
    base = "/api/v1/systems/test/inbound-events"
    other_system = await gateway.client.post(
        f"/api/v1/systems/production/inbound-events/{event_id}/discard",
        headers=gateway.headers("admin"),
    )
    problem(other_system, 404)  # the systems never mix
    discarded = await gateway.client.post(
        f"{base}/{event_id}/discard", headers=gateway.headers("admin")
    )
    assert discarded.json()["status"] == "discarded"
    assert gateway.inbox.events[event_id].status == "discarded"
    bad_id = await gateway.client.post(f"{base}/0/discard", headers=gateway.headers("admin"))
    problem(bad_id, 400)
    bad_status = await gateway.client.get(f"{base}?status=lost", headers=gateway.headers("admin"))
    problem(bad_status, 400)
    ixhaus_key = await gateway.client.get(base, headers=gateway.headers("ixhaus"))
    problem(ixhaus_key, 403)


# -- conflicts --------------------------------------------------------------------------------
async def _conflict(gateway: Gateway) -> int:
    gateway.writer.held[1] = ticket(1)
    return await gateway.conflicts.add(
        "test",
        NewConflict(
            ticket_number="1",
            field="subject",
            base_value="Heizung fällt aus",
            ixhaus_value="Heizung defekt",
            casavi_value="Heizung kalt",
            policy="manual",
            resolution=None,
        ),
    )


async def test_resolving_a_conflict_writes_the_choice_to_ixhaus_and_the_base(
    gateway: Gateway,
) -> None:
    conflict_id = await _conflict(gateway)
    base = "/api/v1/systems/test/conflicts"
    listed = await gateway.client.get(base, headers=gateway.headers("admin"))
    assert [c["casaviValue"] for c in listed.json()["items"]] == ["Heizung kalt"]
    response = await gateway.client.post(
        f"{base}/{conflict_id}/resolve", json={"side": "casavi"}, headers=gateway.headers("admin")
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["resolution"], body["resolvedValue"]) == ("casavi", "Heizung kalt")
    assert body["resolvedBy"] == "apikey:admin-key"
    assert gateway.writer.held[TicketNumber(1)].subject == "Heizung kalt"
    assert gateway.conflicts.bases[("test", "1")] == {"subject": "Heizung kalt"}
    still_open = await gateway.client.get(base, headers=gateway.headers("admin"))
    assert still_open.json()["items"] == []
    again = await gateway.client.post(
        f"{base}/{conflict_id}/resolve", json={"side": "ixhaus"}, headers=gateway.headers("admin")
    )
    problem(again, 409)


async def test_bad_resolutions_are_problems_and_write_nothing(gateway: Gateway) -> None:
    conflict_id = await _conflict(gateway)
    url = f"/api/v1/systems/test/conflicts/{conflict_id}/resolve"
    without_value = await gateway.client.post(
        url, json={"side": "value"}, headers=gateway.headers("admin")
    )
    assert fields_of(problem(without_value, 422)) == ["value"]
    unknown_side = await gateway.client.post(
        url, json={"side": "both"}, headers=gateway.headers("admin")
    )
    assert fields_of(problem(unknown_side, 422)) == ["side"]
    missing = await gateway.client.post(
        "/api/v1/systems/test/conflicts/99/resolve",
        json={"side": "casavi"},
        headers=gateway.headers("admin"),
    )
    problem(missing, 404)
    assert gateway.writer.held[TicketNumber(1)].subject == "Heizung fällt aus"
    assert gateway.conflicts.bases == {}


async def test_without_two_way_stores_conflicts_are_not_possible(gateway: Gateway) -> None:
    # A process that keeps no two-way state (an outbound-only tool) answers 409, not 500.
    contexts = gateway.services.contexts
    contexts.stores = dataclasses.replace(contexts.stores, two_way=None)
    response = await gateway.client.get(
        "/api/v1/systems/test/conflicts", headers=gateway.headers("admin")
    )
    assert "two-way" in problem(response, 409)["detail"]


# -- alerts -----------------------------------------------------------------------------------
async def test_alerts_list_what_the_monitor_recorded(gateway: Gateway) -> None:
    url = "/api/v1/systems/test/alerts"
    not_set_up = await gateway.client.get(url, headers=gateway.headers("admin"))
    problem(not_set_up, 404)  # this process keeps no alerts
    monitor = AlertMonitor(gateway.sessions, gateway.configs, clock=lambda: NOW)
    gateway.services.alerts = monitor
    events.breaker_tripped("test", 7)
    await monitor.drain()
    response = await gateway.client.get(f"{url}?lang=de", headers=gateway.headers("admin"))
    assert response.status_code == 200
    opened = response.json()["open"]
    assert [i["event"] for i in opened] == ["breaker_tripped"]
    production = await gateway.client.get(
        "/api/v1/systems/production/alerts", headers=gateway.headers("admin")
    )
    assert production.json()["open"] == []
