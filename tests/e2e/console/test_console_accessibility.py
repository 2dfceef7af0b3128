"""Every console page works by keyboard alone and labels every form field (issue 9)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.console.conftest import Gateway, run_apart, sign_in

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
    "/console/tickets?system=test&number=1",
    "/console/keys",
    "/console/conflicts?system=test",
    "/console/conflicts?system=test&status=all",
    "/console/inbound-events?system=test",
)
FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), "
    "select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])"
)
FIELDS = "input:not([type=hidden]), select, textarea"

# Numbers every focusable control, returns how many there are.
MARK = """(selector) => {
  const all = [...document.querySelectorAll(selector)];
  all.forEach((el, i) => el.setAttribute('data-tab-check', String(i)));
  return all.length;
}"""
UNLABELLED = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""


# After each Tab (its keyup: the focus has moved), notes which numbered control has it.
RECORD = """() => {
  window.tabCheckReached = new Set();
  window.addEventListener('keyup', (event) => {
    const mark = document.activeElement?.getAttribute('data-tab-check');
    if (event.key === 'Tab' && mark != null) window.tabCheckReached.add(mark);
  }, true);
}"""
REACHED = "() => [...window.tabCheckReached]"


def _tab_through(page: Page) -> tuple[int, set[str]]:
    count: int = page.evaluate(MARK, FOCUSABLE)
    page.evaluate(RECORD)
    page.locator("body").focus()
    reached: set[str] = set()
    # A date input takes one Tab per part (day, month, year): allow a few per control. The
    # page notes what each Tab reached; it is asked after a round of as many Tabs as controls
    # are still missing, not after each Tab.
    left = count * 3 + 3
    while left > 0 and len(reached) < count:
        for _ in range(min(left, count - len(reached))):
            page.keyboard.press("Tab")
            left -= 1
        reached = set(page.evaluate(REACHED))
    return count, reached


def test_every_control_of_every_page_is_reached_by_tab_and_every_field_has_a_label(
    page: Page, gateway: Gateway
) -> None:
    # An open conflict and a parked event, so their forms and buttons are on the pages.
    run_apart(gateway.open_conflict("Fenster klemmt"))
    run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    page.goto("/console/signin")
    assert page.evaluate(UNLABELLED, FIELDS) == []
    count, reached = _tab_through(page)
    assert len(reached) == count
    sign_in(page, gateway.admin_key)
    for path in PAGES:
        page.goto(path)
        assert page.evaluate(UNLABELLED, FIELDS) == [], path
        count, reached = _tab_through(page)
        assert count > 0
        assert len(reached) == count, f"{path}: {count - len(reached)} controls never focused"


def test_signing_in_and_starting_a_run_by_keyboard_only(page: Page, gateway: Gateway) -> None:
    page.goto("/console/signin")
    while page.evaluate("() => document.activeElement?.id") != "api-key":
        page.keyboard.press("Tab")
    page.keyboard.type(gateway.admin_key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    # The skip link comes first and lands in the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Zum Inhalt springen")).to_be_focused()
    page.keyboard.press("Enter")
    target = page.get_by_role("button", name="Sync-Lauf starten (Test)")
    for _ in range(40):
        if page.evaluate("() => document.activeElement?.textContent") == (
            "Sync-Lauf starten (Test)"
        ):
            break
        page.keyboard.press("Tab")
    expect(target).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(re.compile(r"^Lauf \d+$"))
    # Finished before the next test (a pending run would be handed to its trigger instead).
    expect(page.locator("#run-status")).to_have_text(
        re.compile("^(erfolgreich|fehlgeschlagen|teilweise erfolgreich)$")
    )
