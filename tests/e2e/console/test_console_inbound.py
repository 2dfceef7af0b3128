"""The console's inbound pages (issue 9): an operator resolves a conflict and retries or
discards parked inbound events in a real browser against the real gateway on loopback; the
new POSTs refuse a missing CSRF token and show refusals as messages, never a 500."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import Gateway, http_sign_in, run_apart, screenshot, sign_in


def test_an_operator_resolves_a_conflict_with_a_value_of_their_own(
    page: Page, gateway: Gateway
) -> None:
    casavi_value = f"Fenster: bitte Dienstag {uuid.uuid4().hex[:4]}"
    conflict_id, number, ixhaus_value = run_apart(gateway.open_conflict(casavi_value))
    sign_in(page, gateway.admin_key)
    page.get_by_role("link", name="Konflikte").click()
    expect(page.get_by_role("heading", name="Konflikte", exact=True)).to_be_visible()
    page.get_by_label("System").select_option("test")
    page.get_by_role("button", name="Anzeigen").click()
    card = page.locator(f"#conflict-{conflict_id}")
    expect(card).to_contain_text(f"Meldung {number}: Betreff")
    expect(card.locator(".value-ixhaus")).to_have_text(ixhaus_value)
    expect(card.locator(".value-casavi")).to_have_text(casavi_value)
    expect(card).to_contain_text("manuell entscheiden")
    screenshot(page, "conflicts")
    own = f"Fenster: Mittwoch {uuid.uuid4().hex[:4]}"
    card.get_by_label(f"Welcher Wert gilt für Meldung {number}?").select_option("value")
    card.get_by_label("Eigener Wert (nur bei „Eigener Wert“)").fill(own)
    card.get_by_role("button", name=f"Konflikt entscheiden (Meldung {number})").click()
    # A confirmation first (issue 19 item 5): what is chosen, what it does.
    expect(page.locator("#confirm-question")).to_contain_text(own)
    screenshot(page, "conflicts-confirm")
    page.get_by_role("button", name=f"Konflikt {conflict_id} entscheiden").click()
    expect(page.locator("#done")).to_have_text(
        re.compile(f"^Konflikt {conflict_id} ist entschieden")
    )
    card = page.locator(f"#conflict-{conflict_id}")
    expect(card.locator(".resolution")).to_have_text(f"Eigener Wert: {own}")
    expect(card).to_contain_text("console:demo")
    expect(card.get_by_role("button")).to_have_count(0)
    screenshot(page, "conflicts-resolved")
    # The chosen value went to iX-Haus through the resolution flow.
    assert run_apart(gateway.ixhaus_subject(number)) == own
    # Open conflicts only (the default): the resolved one is gone.
    page.goto("/console/conflicts?system=test")
    expect(page.locator(f"#conflict-{conflict_id}")).to_have_count(0)


def test_parked_events_are_shown_with_their_reason_then_discarded_and_retried(
    page: Page, gateway: Gateway
) -> None:
    kept = run_apart(
        gateway.parked_event("unknown person 'P-NEW-1': casavi did not get it from iX-Haus")
    )
    retried = run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    sign_in(page, gateway.admin_key)
    expect(page.locator("#parked-test")).to_contain_text(re.compile(r"[1-9]"))
    expect(page.locator("#lag-test")).not_to_be_empty()
    page.goto("/console/inbound-events?system=test")
    expect(page.get_by_role("heading", name="Geparkte Ereignisse")).to_be_visible()
    row = page.locator(f"#event-{kept}")
    # The reason in the operator's language (issue 19 item 2).
    expect(row).to_contain_text("unbekannt (Person) „P-NEW-1“: casavi hat es nicht aus iX-Haus")
    expect(row).to_contain_text("ticket.updated")
    screenshot(page, "inbound-events")
    page.get_by_role("button", name=f"Ereignis {kept} verwerfen").click()
    expect(page.locator("#confirm-question")).to_have_text(
        f"Das eingegangene Ereignis {kept} verwerfen?"
    )
    page.get_by_role("button", name=f"Ereignis {kept} verwerfen").click()
    expect(page.locator("#done")).to_have_text(f"Ereignis {kept} ist verworfen.")
    expect(page.locator(f"#event-{kept}")).to_have_count(0)
    page.get_by_role("button", name=f"Ereignis {retried} erneut versuchen").click()
    expect(page.locator("#done")).to_have_text(f"Ereignis {retried} wird erneut verarbeitet.")
    # The retry queued the ticket's processing: the event was attempted once more.
    deadline = time.monotonic() + 60
    event = run_apart(gateway.inbox_event(retried))
    while event.attempts < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        event = run_apart(gateway.inbox_event(retried))
    assert event.attempts == 2, event
    page.get_by_label("Zustand").select_option("discarded")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator(f"#event-{kept}")).to_be_visible()


@pytest.fixture
def operator(gateway: Gateway) -> Iterator[tuple[httpx.Client, str]]:
    client, token = http_sign_in(gateway, gateway.admin_key)
    try:
        yield client, token
    finally:
        client.close()


def test_the_inbound_posts_need_the_csrf_token_and_a_session(
    gateway: Gateway, operator: tuple[httpx.Client, str]
) -> None:
    client, token = operator
    conflict_id, number, held = run_apart(gateway.open_conflict("Tür klemmt"))
    event_id = run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    posts: tuple[tuple[str, dict[str, str]], ...] = (
        (f"/console/systems/test/conflicts/{conflict_id}/resolve", {"side": "casavi"}),
        (f"/console/systems/test/inbound-events/{event_id}/retry", {}),
        (f"/console/systems/test/inbound-events/{event_id}/discard", {}),
    )
    for path, form in posts:
        for data in (form, {**form, "csrf_token": "forged"}):
            refused = client.post(path, data=data)
            assert refused.status_code == 403, path
            assert "Sicherheits-Token" in refused.text
        with httpx.Client(base_url=gateway.base_url) as anonymous:
            assert anonymous.post(path, data={**form, "csrf_token": token}).status_code == 401
    # Nothing changed: the conflict is open, the event parked, iX-Haus untouched.
    assert f'id="conflict-{conflict_id}"' in client.get("/console/conflicts?system=test").text
    assert run_apart(gateway.inbox_event(event_id)).status == "parked"
    assert run_apart(gateway.ixhaus_subject(number)) == held
    with httpx.Client(base_url=gateway.base_url) as anonymous:
        for path in ("/console/conflicts", "/console/inbound-events"):
            assert anonymous.get(path).status_code == 401


def test_refused_actions_are_messages_not_errors(
    gateway: Gateway, operator: tuple[httpx.Client, str]
) -> None:
    client, token = operator
    conflict_id, number, held = run_apart(gateway.open_conflict("Heizung kalt"))
    resolve = f"/console/systems/test/conflicts/{conflict_id}/resolve"
    unchosen = client.post(resolve, data={"csrf_token": token, "side": "nobody"})
    assert unchosen.status_code == 422
    assert "bitte iX-Haus, casavi oder einen eigenen Wert wählen" in unchosen.text
    # Without the confirmation a resolve only asks (and writes nothing).
    asked = client.post(resolve, data={"csrf_token": token, "side": "ixhaus"})
    assert asked.status_code == 200
    assert f"Konflikt {conflict_id} so entscheiden?" in asked.text
    assert run_apart(gateway.ixhaus_subject(number)) == held
    first = client.post(resolve, data={"csrf_token": token, "side": "ixhaus", "confirmed": "yes"})
    assert first.status_code == 303
    assert run_apart(gateway.ixhaus_subject(number)) == held
    twice = client.post(resolve, data={"csrf_token": token, "side": "casavi", "confirmed": "yes"})
    assert twice.status_code == 409
    assert f"Die Aktion für Eintrag {conflict_id} wurde abgelehnt." in twice.text
    assert f"Konflikt {conflict_id} ist schon entschieden." in twice.text
    unknown = client.post(
        "/console/systems/test/conflicts/999999/resolve",
        data={"csrf_token": token, "side": "ixhaus", "confirmed": "yes"},
    )
    assert unknown.status_code == 404
    assert "Eintrag 999999 gibt es nicht." in unknown.text
    event_id = run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    base = f"/console/systems/test/inbound-events/{event_id}"
    asked = client.post(base + "/discard", data={"csrf_token": token})
    assert asked.status_code == 200
    assert f"Das eingegangene Ereignis {event_id} verwerfen?" in asked.text
    assert run_apart(gateway.inbox_event(event_id)).status == "parked"
    confirmed = {"csrf_token": token, "confirmed": "yes"}
    assert client.post(base + "/discard", data=confirmed).status_code == 303
    again = client.post(base + "/retry", data={"csrf_token": token})
    assert again.status_code == 409
    assert "nur geparkte Ereignisse werden erneut versucht" in again.text
    # An event of the test system is not reachable through the production system.
    other = run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    wrong = client.post(
        f"/console/systems/production/inbound-events/{other}/discard",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert wrong.status_code == 404
    assert run_apart(gateway.inbox_event(other)).status == "parked"


def test_the_inbound_pages_speak_english_when_asked(
    operator: tuple[httpx.Client, str],
) -> None:
    client, token = operator
    switched = client.post("/console/language", data={"csrf_token": token, "language": "en"})
    assert switched.status_code == 303
    conflicts = client.get("/console/conflicts?system=test&status=all").text
    assert "<h1>Conflicts</h1>" in conflicts
    assert "Parked inbound events" in conflicts  # the navigation
    events = client.get("/console/inbound-events?system=test&status=discarded").text
    assert "<h1>Parked inbound events</h1>" in events
    assert "Inbound lag" in client.get("/console").text
