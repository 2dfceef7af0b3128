"""The iX-Haus plus side of the API over fakes: sync runs, portal status (S1), the ticket
triggers and the re-send - what each answers, its problems for bad input, and what reached
the fake stores, queue and portal."""

from __future__ import annotations

from app.domain.eligibility.notes import note_key
from app.domain.keys import RecordKey, TicketNumber
from app.sync.ports import PortalStatus
from tests.unit.api.gateway import Gateway, fields_of, problem, ticket


# -- sync runs ----------------------------------------------------------------------------------
async def test_starting_a_run_records_it_and_queues_its_job_once(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/v1/systems/test/sync-runs", headers=gateway.headers()
    )
    assert response.status_code == 202
    run = response.json()
    assert (run["system"], run["status"], run["trigger"]) == ("test", "queued", "api")
    assert run["requestedBy"] == "ixhaus-key"  # the key's name, never the key
    assert [(name, args) for name, args, _ in gateway.queue.jobs] == [("run_sync", (run["id"],))]
    # A second request while it is queued answers the same run; nothing is queued again.
    again = await gateway.client.post("/api/v1/systems/test/sync-runs", headers=gateway.headers())
    assert (again.status_code, again.json()["id"]) == (202, run["id"])
    assert len(gateway.queue.jobs) == 1
    listed = await gateway.client.get("/api/v1/sync-runs?system=test", headers=gateway.headers())
    assert [r["id"] for r in listed.json()["items"]] == [run["id"]]
    one = await gateway.client.get(f"/api/v1/sync-runs/{run['id']}", headers=gateway.headers())
    assert one.json()["status"] == "queued"


async def test_a_dry_run_answers_the_plan_and_sends_nothing(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/v1/systems/test/sync-runs",
        json={"dryRun": True, "entities": ["ticket"]},
        headers=gateway.headers(),
    )
    assert response.status_code == 200
    plan = response.json()
    assert (plan["dryRun"], plan["entities"], plan["creates"]) == (True, ["ticket"], 1)
    items = sorted((i["entityKey"], i["action"], i["reasonCode"]) for i in plan["items"])
    assert items == [("ticket:1", "create", None), ("ticket:3", "exclude", "object_not_enabled")]
    assert gateway.portal.puts == []
    assert gateway.ledger.rows == {}
    assert gateway.runs.runs == {}
    assert gateway.queue.jobs == []


async def test_bad_run_requests_are_problems_and_start_nothing(gateway: Gateway) -> None:
    entities_without_dry_run = await gateway.client.post(
        "/api/v1/systems/test/sync-runs", json={"entities": ["unit"]}, headers=gateway.headers()
    )
    assert fields_of(problem(entities_without_dry_run, 422)) == ["entities"]
    unknown_system = await gateway.client.post(
        "/api/v1/systems/staging/sync-runs", headers=gateway.headers()
    )
    problem(unknown_system, 400)
    unknown_field = await gateway.client.post(
        "/api/v1/systems/test/sync-runs", json={"dryRun": True, "x": 1}, headers=gateway.headers()
    )
    assert unknown_field.status_code in (400, 422)
    problem(unknown_field, unknown_field.status_code)
    no_key = await gateway.client.post("/api/v1/systems/test/sync-runs")
    problem(no_key, 401)
    assert gateway.runs.runs == {}
    assert gateway.queue.jobs == []
    missing = await gateway.client.get("/api/v1/sync-runs/999", headers=gateway.headers())
    assert "999" in problem(missing, 404)["detail"]


# -- portal status (rule S1) ----------------------------------------------------------------
async def _decided(gateway: Gateway) -> None:
    await gateway.states.save("test", [PortalStatus(ticket_number="5", transferred=True)])
    await gateway.states.save(
        "production",
        [PortalStatus(ticket_number="6", transferred=False, reason_code="object_not_enabled")],
    )


async def test_portal_status_of_one_ticket_and_of_many_in_the_order_asked(
    gateway: Gateway,
) -> None:
    # rule S1
    await _decided(gateway)
    base = "/api/v1/systems/test/tickets"
    one = await gateway.client.get(f"{base}/5/portal-status", headers=gateway.headers())
    assert (one.status_code, one.json()["transferred"]) == (200, True)
    many = await gateway.client.get(
        f"{base}/portal-status?number=6&number=5", headers=gateway.headers()
    )
    body = many.json()
    # Ticket 6 is decided for production only: the systems never mix.
    assert ([i["ticketNumber"] for i in body["items"]], body["unknown"]) == (["5"], ["6"])
    other = await gateway.client.get(
        "/api/v1/systems/production/tickets/portal-status?numbers=6,5", headers=gateway.headers()
    )
    assert [i["reasonCode"] for i in other.json()["items"]] == ["object_not_enabled"]


async def test_bad_portal_status_requests_are_problems(gateway: Gateway) -> None:
    base = "/api/v1/systems/test/tickets"
    undecided = await gateway.client.get(f"{base}/7/portal-status", headers=gateway.headers())
    problem(undecided, 404)
    both_forms = await gateway.client.get(
        f"{base}/portal-status?numbers=1&number=2", headers=gateway.headers()
    )
    assert fields_of(problem(both_forms, 422)) == ["numbers"]
    not_digits = await gateway.client.get(
        f"{base}/portal-status?number=1&number=x", headers=gateway.headers()
    )
    assert fields_of(problem(not_digits, 400)) == ["number"]


# -- the ticket triggers ----------------------------------------------------------------------
async def test_pushing_a_ticket_sends_it_and_resets_s2(gateway: Gateway) -> None:
    # rule S1: the answer says what was done; rule S2: a push is a staff change
    await gateway.activity.record("test", TicketNumber(1), gateway.services.clock(), "message")
    response = await gateway.client.post(
        "/api/v1/systems/test/tickets/1/sync", headers=gateway.headers()
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["casaviId"], body["portal"]["transferred"]) == ("sent", "1", True)
    assert gateway.portal.puts == [RecordKey.ticket(1)]
    assert gateway.ledger.rows[("test", RecordKey.ticket(1))].state == "sent"
    assert gateway.activity.resets == [("test", "1")]


async def test_pushing_a_note_after_its_ticket_sends_it_as_a_linked_message(
    gateway: Gateway,
) -> None:
    # rule N1: a public note follows its ticket; the link is recorded before it goes out
    base = "/api/v1/systems/test/tickets/1"
    before_ticket = await gateway.client.post(f"{base}/notes/1/sync", headers=gateway.headers())
    assert before_ticket.json()["outcome"] == "not_sent"  # casavi has no ticket 1 yet
    await gateway.client.post(f"{base}/sync", headers=gateway.headers())
    response = await gateway.client.post(f"{base}/notes/1/sync", headers=gateway.headers())
    assert response.status_code == 200
    body = response.json()
    assert (body["noteId"], body["outcome"], body["casaviId"]) == ("1", "sent", "1")
    assert gateway.portal.puts == [RecordKey.ticket(1), note_key(1)]
    linked = await gateway.note_links.by_ixhaus_note("test", "1")
    assert linked is not None
    assert linked.origin == "ixhaus"
    assert await gateway.note_links.by_ixhaus_note("production", "1") is None


async def test_a_ticket_the_rules_keep_out_says_why(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/v1/systems/test/tickets/3/sync", headers=gateway.headers()
    )
    body = response.json()
    assert (body["outcome"], body["reasonCode"]) == ("not_sent", "object_not_enabled")
    assert body["reasonText"]
    assert body["reasonTextEn"]
    assert gateway.portal.puts == []


async def test_trigger_problems(gateway: Gateway) -> None:
    base = "/api/v1/systems/test/tickets"
    unknown = await gateway.client.post(f"{base}/404/sync", headers=gateway.headers())
    assert "404" in problem(unknown, 404)["detail"]
    no_note = await gateway.client.post(f"{base}/1/notes/9/sync", headers=gateway.headers())
    problem(no_note, 404)
    gateway.portal.fail_keys.add(RecordKey.ticket(1))
    refused = await gateway.client.post(f"{base}/1/sync", headers=gateway.headers())
    assert problem(refused, 502)["type"].endswith("send-failed")
    assert gateway.ledger.rows[("test", RecordKey.ticket(1))].state == "error"
    gateway.configs.change("test", active=False)  # rule C12
    switched_off = await gateway.client.post(f"{base}/1/sync", headers=gateway.headers())
    problem(switched_off, 409)
    never_decided = await gateway.client.post(
        f"{base}/1/portal-activity/reset", headers=gateway.headers()
    )
    problem(never_decided, 404)


async def test_resetting_portal_activity_clears_s2(gateway: Gateway) -> None:
    # rule S2
    await gateway.states.save("test", [PortalStatus(ticket_number="5", transferred=True)])
    await gateway.activity.record("test", TicketNumber(5), gateway.services.clock(), "rated")
    response = await gateway.client.post(
        "/api/v1/systems/test/tickets/5/portal-activity/reset", headers=gateway.headers()
    )
    assert (response.status_code, response.json()["ticketNumber"]) == (200, "5")
    assert gateway.activity.activity == {}


# -- the re-send ------------------------------------------------------------------------------
async def test_resending_a_record_sends_it_even_when_unchanged(gateway: Gateway) -> None:
    await gateway.client.post("/api/v1/systems/test/tickets/1/sync", headers=gateway.headers())
    response = await gateway.client.post(
        "/api/v1/systems/test/records/resend",
        json={"entityKey": "ticket:1"},
        headers=gateway.headers(),
    )
    assert response.status_code == 200
    assert response.json() == {
        "entityType": "ticket",
        "entityKey": "ticket:1",
        "outcome": "sent",
        "reasonCode": None,
        "reasonText": None,
        "casaviId": "1",
    }
    assert gateway.portal.puts == [RecordKey.ticket(1), RecordKey.ticket(1)]


async def test_resend_problems(gateway: Gateway) -> None:
    url = "/api/v1/systems/test/records/resend"
    # Not a record key at all (the schema's pattern), and a kind that is not re-sent here.
    for key, status in (("nonsense", 400), ("note:1", 422)):
        refused = await gateway.client.post(url, json={"entityKey": key}, headers=gateway.headers())
        assert fields_of(problem(refused, status)) == ["entityKey"], key
    gateway.source.tables["tickets"] = [ticket(2)]
    missing = await gateway.client.post(
        url, json={"entityKey": "ticket:1"}, headers=gateway.headers()
    )
    problem(missing, 404)
    assert gateway.portal.puts == []
