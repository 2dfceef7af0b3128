"""The admin console in a real browser (issue 9): an operator's journeys, each against the
real gateway on loopback. Each page's screenshot lands in a temporary folder (docs/console.md
says how to refresh docs/screenshots/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.sandbox.casavi import SANDBOX_SECRET
from tests.e2e.console.conftest import Gateway, screenshot, sign_in

FINISHED = re.compile(r"^(erfolgreich|fehlgeschlagen|teilweise erfolgreich)$")


def test_an_operator_signs_in_with_an_admin_key_and_sees_both_systems(
    page: Page, gateway: Gateway
) -> None:
    page.goto("/console")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_text("Bitte anmelden.")).to_be_visible()
    screenshot(page, "signin")
    sign_in(page, gateway.admin_key)
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    expect(page.get_by_role("heading", name="Produktiv")).to_be_visible()
    test_card = page.get_by_role("region", name="Test", exact=True)
    expect(test_card).to_contain_text("Schnittstelle aktiv (C12)")
    expect(test_card).to_contain_text("erfolgreich")  # the first sync, as the last run
    screenshot(page, "overview")
    # English is one switch away, and stays for the session.
    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Sprache wechseln").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("link", name="Protocol").click()
    expect(page.get_by_role("heading", name="Protocol", exact=True)).to_be_visible()
    screenshot(page, "protocol-en")


def test_a_setting_with_a_validation_error_is_fixed_saved_and_audited(
    page: Page, gateway: Gateway
) -> None:
    sign_in(page, gateway.admin_key)
    page.get_by_role("link", name="Einstellungen Test").click()
    page.get_by_role("link", name="Zeitplan und Support (C13, C14)").click()
    interval = page.get_by_label("Abstand in Minuten")
    interval.fill("0")
    page.get_by_role("button", name="Speichern").click()
    # The message stands next to the field (and in the summary at the top).
    field = page.locator(".field", has=page.get_by_label("Abstand in Minuten"))
    expect(field.locator(".error")).to_have_text("muss zwischen 1 und 1440 liegen")
    expect(page.get_by_label("Abstand in Minuten")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_contain_text("Abstand in Minuten")
    screenshot(page, "settings-validation-error")
    page.get_by_label("Abstand in Minuten").fill("7")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#saved")).to_have_text("Gespeichert.")
    expect(page.get_by_label("Abstand in Minuten")).to_have_value("7")
    latest = page.locator("#audit tbody tr").first
    expect(latest).to_contain_text("console:demo")
    expect(latest).to_contain_text("Abstand in Minuten")  # the field, not its path
    screenshot(page, "settings")


def test_a_secret_is_entered_twice_and_never_shown(page: Page, gateway: Gateway) -> None:
    sign_in(page, gateway.admin_key)
    page.goto("/console/systems/test/settings")
    page.get_by_label("casavi-Secret: neuer Wert", exact=True).fill(SANDBOX_SECRET)
    page.get_by_label("casavi-Secret: neuer Wert (Wiederholung)").fill(SANDBOX_SECRET + "x")
    page.get_by_role("button", name="Speichern").click()
    confirmation = page.locator(
        ".field", has=page.get_by_label("casavi-Secret: neuer Wert (Wiederholung)")
    )
    expect(confirmation.locator(".error")).to_have_text("stimmt nicht mit dem Wert überein")
    # Nothing entered is sent back to the browser.
    expect(page.get_by_label("casavi-Secret: neuer Wert", exact=True)).to_have_value("")
    screenshot(page, "settings-secret-mismatch")
    page.get_by_label("casavi-Secret: neuer Wert", exact=True).fill(SANDBOX_SECRET)
    page.get_by_label("casavi-Secret: neuer Wert (Wiederholung)").fill(SANDBOX_SECRET)
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#saved")).to_have_text("Gespeichert.")
    expect(page.locator("#state-casaviSecret")).to_contain_text("gesetzt am")
    expect(page.locator("#audit tbody tr").first).to_contain_text("casavi-Secret")
    assert SANDBOX_SECRET not in page.content()


def test_a_run_started_in_the_console_shows_its_outcome_when_it_finishes(
    page: Page, gateway: Gateway
) -> None:
    sign_in(page, gateway.admin_key)
    # One ticket to send, through a casavi that answers slowly: the run is seen pending.
    gateway.run(gateway.change_a_ticket("1002"))
    faults = gateway.simulator.simulator.faults
    faults.latency_ms = 700
    try:
        page.get_by_role("button", name="Sync-Lauf starten (Test)").click()
        page.wait_for_url(re.compile(r".*/console/runs/\d+$"))
        expect(page.locator("#run-status")).to_have_text(re.compile("^(wartend|läuft)$"))
        expect(page.locator("#run-summary")).to_contain_text("aktualisiert sich selbst")
        # No reload by the test: the summary polls (htmx) and the page shows the outcome.
        expect(page.locator("#run-status")).to_have_text(FINISHED)
    finally:
        faults.latency_ms = 0
    expect(page.locator("#run-sent")).to_have_text("1")
    expect(page.locator("#run-summary")).to_contain_text("console:demo")
    screenshot(page, "run")
    page.get_by_role("link", name="Protokoll", exact=True).click()
    expect(page.locator("#runs tbody tr").first).to_contain_text("Konsole")
    page.get_by_role("link", name="Aktualisieren").click()  # rule L4
    expect(page.locator("#runs tbody tr").first).to_contain_text("Konsole")
    screenshot(page, "protocol")


def test_the_error_grid_of_a_run_names_the_failing_record_and_why(
    page: Page, gateway: Gateway
) -> None:
    number = gateway.run(gateway.break_a_ticket())
    sign_in(page, gateway.admin_key)
    page.get_by_role("button", name="Sync-Lauf starten (Test)").click()
    expect(page.locator("#run-status")).to_have_text(FINISHED)
    # the broken ticket, and the sandbox's document over the size limit (rule D5)
    expect(page.locator("#run-errors")).not_to_have_text("0")
    page.get_by_label("Ergebnis").select_option("error")
    page.get_by_label("Art des Datensatzes").select_option("ticket")
    page.get_by_role("button", name="Filtern").click()
    rows = page.locator("#grid tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"ticket:{number}")
    expect(rows.first).to_contain_text("propertyId '1001' does not exist")
    screenshot(page, "run-error-grid")
    with page.expect_download() as download:
        page.get_by_role("link", name="Protokoll als CSV herunterladen").click()
    csv_text = download.value.path().read_text(encoding="utf-8")
    assert f"ticket:{number}" in csv_text
    assert "does not exist" in csv_text


def test_a_ticket_that_is_not_transferred_says_why(page: Page, gateway: Gateway) -> None:
    number, reason = gateway.run(gateway.not_transferred_ticket())
    sign_in(page, gateway.admin_key)
    page.get_by_role("link", name="Meldungen").click()
    page.get_by_label("System").select_option("test")
    page.get_by_label("Meldungsnummer").fill(number)
    page.get_by_role("button", name="Filtern").click()
    page.get_by_role("link", name=f"Meldung {number}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Meldung {number} (Test)")).to_be_visible()
    expect(page.locator("#ticket-reason")).to_have_text(reason)
    expect(page.get_by_role("button", name=f"Meldung {number} jetzt übertragen")).to_be_visible()
    screenshot(page, "ticket")


def test_an_api_key_is_shown_once_listed_and_revoked(page: Page, gateway: Gateway) -> None:
    sign_in(page, gateway.admin_key)
    page.get_by_role("link", name="API-Schlüssel").click()
    page.get_by_label("Name").fill("iX-Haus plus Filiale")
    page.get_by_label("Bereich").select_option("ixhaus")
    page.get_by_role("button", name="Erstellen").click()
    key = page.get_by_label("Neuer Schlüssel").input_value()
    assert key.startswith("pgw_")
    screenshot(page, "keys-created", mask=[page.get_by_label("Neuer Schlüssel")])
    page.reload()  # a GET: the key is not in any later page
    assert key not in page.content()
    row = page.locator("tbody tr", has_text="iX-Haus plus Filiale")
    expect(row).to_contain_text("aktiv")
    page.get_by_role("button", name="Schlüssel iX-Haus plus Filiale widerrufen").click()
    expect(page.locator("#confirm-question")).to_contain_text("„iX-Haus plus Filiale“ widerrufen?")
    expect(page.locator("#confirm-warning")).to_have_count(0)  # not the key signed in with
    screenshot(page, "keys-revoke-confirm")
    page.get_by_role("button", name="Schlüssel iX-Haus plus Filiale widerrufen").click()
    expect(page.get_by_role("status")).to_contain_text("widerrufen")
    expect(page.locator("tbody tr", has_text="iX-Haus plus Filiale")).not_to_contain_text("aktiv")
    screenshot(page, "keys")


def test_after_signing_out_the_console_refuses_the_browser(page: Page, gateway: Gateway) -> None:
    sign_in(page, gateway.admin_key)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
    response = page.goto("/console/protocol")
    assert response is not None
    assert response.status == 401
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("navigation")).to_have_count(0)


# The objects page's labels, the object-range message and the save button, per language.
_OBJECTS_PAGE = {
    "de": (
        "Objekte und Personen (C3–C5, C10, C15)",
        [
            "Objektbereich (C3)",
            "Objektbereich mit voller Meldungshistorie (C4)",
            "Personentypen (C5)",
            "Vorlauf Portalzugang in Tagen (C10)",
            "Tage nach Auszug bis zur Löschung (C15)",
        ],
        "muss eine iX-Haus-Objektnummer sein",
        "Speichern",
    ),
    "en": (
        "Objects and persons (C3–C5, C10, C15)",
        [
            "Object range (C3)",
            "Object range with full ticket history (C4)",
            "Person types (C5)",
            "Portal account lead time in days (C10)",
            "Days after move-out until deletion (C15)",
        ],
        "must be an iX-Haus object number",
        "Save",
    ),
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_five_wrong_settings_show_five_errors_at_once_and_nothing_is_saved(
    page: Page, gateway: Gateway, language: str
) -> None:
    # issue 19 item 3: one page per group of rules, every problem at once next to its field
    group, labels, range_message, save = _OBJECTS_PAGE[language]
    sign_in(page, gateway.admin_key)
    page.goto("/console/systems/test/settings")
    page.locator("#language").select_option(language)
    page.locator("form[action$='/language'] button").click()
    page.get_by_role("link", name=group).click()
    version = page.locator("main p").first.inner_text()
    # rules C3, C4 (ranges), C5 (a type twice), C10 (below 0), C15 (above its maximum)
    values = ["abc", "20-10", "MIETER\nMIETER", "-1", "99999"]
    wrong = dict(zip(labels, values, strict=True))
    for label, value in wrong.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=save).click()
    expect(page.locator("#error-summary li")).to_have_count(5)
    for label in wrong:
        field = page.locator(".field", has=page.get_by_label(label, exact=True))
        expect(field.locator(".error")).to_have_count(1)
        expect(page.get_by_label(label, exact=True)).to_have_attribute("aria-invalid", "true")
    object_range = labels[0]
    range_field = page.locator(".field", has=page.get_by_label(object_range, exact=True))
    expect(range_field.locator(".error")).to_contain_text(range_message)
    expect(page.locator(".untranslated")).to_have_count(0)
    expect(page.get_by_label(object_range, exact=True)).to_have_value("abc")
    # The browser knows the server's limits too.
    lead = page.get_by_label(labels[3], exact=True)
    expect(lead).to_have_attribute("min", "0")
    expect(lead).to_have_attribute("max", "3650")
    screenshot(page, "settings-many-errors" + ("" if language == "de" else "-en"))
    page.goto("/console/systems/test/settings/objects")
    expect(page.locator("main p").first).to_have_text(version)
    expect(page.get_by_label(object_range, exact=True)).not_to_have_value("abc")
