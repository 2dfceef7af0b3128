"""Issue 19: the console's journeys in both languages in Chromium, accessibility measured
with axe-core, and no untranslated string on a German page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.console.i18n import texts
from app.console.labels import LABELS
from tests.e2e.console.conftest import Gateway, axe_findings, run_apart, screenshot, sign_in

PAGES = (
    "/console",
    "/console/systems/production/settings",
    "/console/systems/test/settings",
    *(
        f"/console/systems/test/settings/{group}"
        for group in ("ixhaus", "docuware", "objects", "documents", "tickets", "schedule")
    ),
    "/console/protocol",
    "/console/runs/1",
    "/console/runs/1?outcome=&entity=&page=1",
    "/console/tickets",
    "/console/tickets?system=test&status=not_transferred",
    "/console/systems/test/dry-run",
    "/console/keys",
    "/console/conflicts?system=test&status=all",
    "/console/inbound-events?system=test",
)


def _switch(page: Page, language: str) -> None:
    page.goto("/console")
    page.locator("#language").select_option(language)
    page.locator("form[action$='/language'] button").click()


def _english_only_texts() -> set[str]:
    """Catalogue texts whose German differs: seen on a German page, they are untranslated."""
    german, english = texts("de"), texts("en")
    found = set()
    for group, values in LABELS.items():
        for value in values:
            shown = english.label(group, value)
            if len(shown) > 12 and shown != german.label(group, value):
                found.add(shown)
    return found


def test_the_run_grid_pages_with_empty_filters(page: Page, gateway: Gateway) -> None:
    # issue 19: "Nächste Seite" and "Ergebnis: alle" answered 400
    sign_in(page, gateway.admin_key)
    response = page.goto("/console/runs/1?outcome=&entity=&page=2")
    assert response is not None
    assert response.status == 200
    page.goto("/console/runs/1")
    page.get_by_label("Ergebnis").select_option("")
    page.get_by_label("Art des Datensatzes").select_option("ticket")
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"outcome=&entity=ticket"))
    expect(page.get_by_role("heading", name="Protokoll des Laufs (L3)")).to_be_visible()
    wrong = page.goto("/console/runs/1?outcome=nonsense")
    assert wrong is not None
    assert wrong.status == 422
    expect(page.locator("main")).to_contain_text("Unbekanntes Ergebnis „nonsense“.")


@pytest.mark.parametrize("language", ["de", "en"])
def test_ticket_list_to_ticket_to_push_and_resend(
    page: Page, gateway: Gateway, language: str
) -> None:
    number, _ = gateway.run(gateway.not_transferred_ticket())
    sign_in(page, gateway.admin_key)
    _switch(page, language)
    page.goto("/console/tickets")
    # The active system comes first (the production system is switched off).
    expect(page.locator("#ticket-system option").first).to_have_attribute("value", "test")
    page.locator("#ticket-status").select_option("not_transferred")
    page.locator("#ticket-number").fill(number)
    page.locator("form.filters button").click()
    expect(page.locator("#tickets tbody tr")).to_have_count(1)
    screenshot(page, f"tickets-{language}")
    page.locator("#tickets tbody a").first.click()
    expect(page.locator("#ticket-reason")).not_to_be_empty()
    expect(page.locator("#timeline")).to_be_visible()
    screenshot(page, f"ticket-timeline-{language}")
    page.locator(f"form[action$='/tickets/{number}/push'] button").click()
    expect(page.locator("#action-result")).to_contain_text(
        "Nicht gesendet." if language == "de" else "Not sent."
    )
    screenshot(page, f"ticket-pushed-{language}")
    page.go_back()
    page.locator("form[action$='/records/resend'] button").click()
    expect(page.locator("#action-result")).not_to_be_empty()


@pytest.mark.parametrize("language", ["de", "en"])
def test_dry_run_page_and_resend_from_the_run_grid(
    page: Page, gateway: Gateway, language: str
) -> None:
    gateway.run(gateway.change_a_ticket("1002"))
    sign_in(page, gateway.admin_key)
    _switch(page, language)
    page.goto("/console")
    page.locator("a[href$='/systems/test/dry-run']").click()
    expect(page.locator("#plan-updates")).not_to_have_text("0")
    expect(page.locator("#plan tbody tr").first).to_be_visible()
    screenshot(page, f"dry-run-{language}")
    page.goto("/console/runs/1?outcome=sent&entity=ticket")
    page.locator("#grid tbody tr").first.locator("form button").click()
    expect(page.locator("#action-result")).to_contain_text(
        "Jetzt an casavi gesendet." if language == "de" else "Sent to casavi now."
    )


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_run_on_a_switched_off_system_is_disabled_with_the_reason(
    page: Page, gateway: Gateway, language: str
) -> None:
    sign_in(page, gateway.admin_key)
    _switch(page, language)
    button = page.locator("form[action$='/systems/production/runs'] button")
    expect(button).to_be_disabled()
    reason = page.locator("#run-off-production")
    expect(reason).to_contain_text("C12")
    expect(button).to_have_attribute("aria-describedby", "run-off-production")


def test_revoking_your_own_key_asks_says_so_and_signs_you_out(page: Page, gateway: Gateway) -> None:
    from tests.e2e.console.conftest import _key

    key = run_apart(_key(gateway.paths.gateway, "short-lived-operator", "admin"))
    sign_in(page, key)
    page.goto("/console/keys")
    page.get_by_role("button", name="Schlüssel short-lived-operator widerrufen").click()
    expect(page.locator("#confirm-warning")).to_have_text(
        "Mit diesem Schlüssel sind Sie angemeldet: Sie werden sofort abgemeldet."
    )
    screenshot(page, "keys-revoke-own")
    page.get_by_role("link", name="Abbrechen").click()
    expect(page.get_by_role("heading", name="API-Schlüssel")).to_be_visible()
    page.get_by_role("button", name="Schlüssel short-lived-operator widerrufen").click()
    page.get_by_role("button", name="Schlüssel short-lived-operator widerrufen").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_page_has_no_serious_axe_finding_and_german_pages_no_english(
    page: Page, gateway: Gateway, axe_source: str, language: str
) -> None:
    run_apart(gateway.open_conflict("Fenster klemmt"))
    run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    page.goto("/console/signin")
    findings = {"/console/signin": axe_findings(page, axe_source)}
    sign_in(page, gateway.admin_key)
    _switch(page, language)
    english = _english_only_texts()
    for path in PAGES:
        page.goto(path)
        findings[path] = axe_findings(page, axe_source)
        if language == "de":
            assert page.locator("html").get_attribute("lang") == "de"
            # A message the console could not translate is marked; none may show.
            assert page.locator(".untranslated").all_inner_texts() == [], path
            text = page.locator("body").inner_text()
            assert [phrase for phrase in english if phrase in text] == [], path
    assert {path: found for path, found in findings.items() if found} == {}
