"""The console's settings pages over HTTP (issue 19 item 3): one page per group of rules,
every problem at once next to its field, in German (the default) or English, no library
message, nothing written while anything is wrong."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.asgi import create_app
from app.environment import Settings
from tests.integration.configuration.conftest import RecordingClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE = "/console/systems/test/settings"
LIBRARY_WORDS = re.compile(r"Expected|`|\^|\[0-9\]|\{0,|\$\.")


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found.group(1)


def _errors(html: str) -> dict[str, list[str]]:
    """Messages next to their fields: ``<p class="error" id="f-...-error-N">``."""
    found: dict[str, list[str]] = {}
    for field, text in re.findall(r'<p class="error" id="(f-[^"]+)-error-\d+">([^<]*)</p>', html):
        found.setdefault(field, []).append(text)
    return found


@pytest.fixture
async def console(
    settings: Settings, admin_key: str
) -> AsyncIterator[tuple[AsyncTestClient[Litestar], str]]:
    async with AsyncTestClient(create_app(settings)) as client:
        client.follow_redirects = False
        token = _csrf((await client.get("/console/signin")).text)
        answer = await client.post(
            "/console/signin", data={"csrf_token": token, "api_key": admin_key}
        )
        assert answer.status_code == 303, answer.text
        yield client, _csrf((await client.get("/console")).text)


async def _version(client: AsyncTestClient[Litestar]) -> str:
    found = re.search(
        r"Version (\d+)|Noch nie gespeichert|Never saved", (await client.get(PAGE)).text
    )
    assert found is not None
    return found.group(0)


async def _form(client: AsyncTestClient[Litestar], group: str) -> dict[str, str]:
    """The page's form as the browser would send it unchanged."""
    html = (await client.get(f"{PAGE}/{group}")).text
    form: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or 'type="password"' in tag:
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        form[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        form[name] = text
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    return form


async def test_five_wrong_values_show_five_errors_at_once_and_nothing_is_written(
    console: tuple[AsyncTestClient[Litestar], str],
) -> None:
    client, _ = console
    before = await _version(client)
    form = await _form(client, "objects")
    form.update(
        {
            "objects.range": "abc",  # rule C3: no object number
            "objects.fullHistoryRange": "20-10",  # rule C4: from after to
            "personTypes": "MIETER\nMIETER",  # rule C5: listed twice
            "portalAccountLeadDays": "-1",  # rule C10
            "deleteAfterMoveOutDays": "bald",  # rule C15
        }
    )
    answer = await client.post(f"{PAGE}/objects", data=form)
    assert answer.status_code == 422
    errors = _errors(answer.text)
    object_number = (
        "Eintrag 1: muss eine iX-Haus-Objektnummer sein: zuerst eine Ziffer, dann Ziffern, "
        "Buchstaben oder Punkte, höchstens 20 Zeichen"
    )
    assert errors == {
        "f-objects-range": [object_number],
        "f-objects-fullHistoryRange": ["Eintrag 1: „von“ liegt nach „bis“"],
        "f-personTypes": ["„MIETER“ steht doppelt in der Liste"],
        "f-portalAccountLeadDays": ["muss zwischen 0 und 3650 liegen"],
        "f-deleteAfterMoveOutDays": ["muss eine ganze Zahl sein"],
    }
    assert 'id="error-summary"' in answer.text
    assert "Nichts wurde gespeichert" in answer.text
    shown = " ".join(message for messages in errors.values() for message in messages)
    assert not LIBRARY_WORDS.search(shown), errors
    assert 'class="untranslated"' not in answer.text
    # What was typed stays in the fields; nothing was saved ("abc" above all).
    assert ">abc</textarea>" in answer.text
    assert await _version(client) == before
    assert "abc" not in (await client.get(f"{PAGE}/objects")).text


async def test_quiet_hours_and_the_schedule_say_what_they_expect_in_english_too(
    console: tuple[AsyncTestClient[Litestar], str],
) -> None:
    client, token = console
    await client.post("/console/language", data={"csrf_token": token, "language": "en"})
    before = await _version(client)
    form = await _form(client, "schedule")
    form.update(
        {
            "schedule.intervalMinutes": "0",  # rule C14
            "schedule.quietHours.start": "25:99",  # rule C14
            "schedule.quietHours.end": "",
            "support.retentionDays": "",  # rule C13
            "support.inboundRetentionDays": "99999",
        }
    )
    answer = await client.post(f"{PAGE}/schedule", data=form)
    assert answer.status_code == 422
    assert _errors(answer.text) == {
        "f-schedule-intervalMinutes": ["must be between 1 and 1440"],
        "f-schedule-quietHours-start": ["must be a time of day from 00:00 to 23:59 (HH:MM)"],
        "f-schedule-quietHours-end": ["is required"],
        "f-support-retentionDays": ["is required"],
        "f-support-inboundRetentionDays": ["must be between 1 and 3650"],
    }
    assert await _version(client) == before


async def test_each_group_has_its_page_with_the_browser_side_constraints(
    console: tuple[AsyncTestClient[Litestar], str],
) -> None:
    client, _ = console
    first = (await client.get(PAGE)).text
    for group in ("casavi", "ixhaus", "docuware", "objects", "documents", "tickets", "schedule"):
        assert f'href="{PAGE}/{group}"' in first
    html = (await client.get(f"{PAGE}/schedule")).text
    interval = re.search(r'<input [^>]*name="schedule.intervalMinutes"[^>]*>', html)
    assert interval is not None
    assert 'min="1"' in interval.group(0)
    assert 'max="1440"' in interval.group(0)
    assert " required" in interval.group(0)
    start = re.search(r'<input [^>]*name="schedule.quietHours.start"[^>]*>', html)
    assert start is not None
    assert 'pattern="([01][0-9]|2[0-3]):[0-5][0-9]"' in start.group(0)
    # Each page's form holds its own group's fields only.
    assert 'name="objects.range"' not in html
    assert (await client.get(f"{PAGE}/nonsense")).status_code == 404


async def test_a_right_value_on_one_page_is_saved_and_leaves_the_others_alone(
    console: tuple[AsyncTestClient[Litestar], str],
) -> None:
    client, _ = console
    form = await _form(client, "objects")
    form["objects.range"] = "1001-1099\n2000"
    answer = await client.post(f"{PAGE}/objects", data=form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("/settings/objects?saved=1#saved")
    html = (await client.get(f"{PAGE}/objects")).text
    assert ">1001-1099\n2000</textarea>" in html
    assert re.search(r'name="schedule.intervalMinutes"', html) is None
    schedule = await _form(client, "schedule")
    assert schedule["schedule.intervalMinutes"] == "5"


async def test_the_console_and_the_api_report_the_same_problems(
    console: tuple[AsyncTestClient[Litestar], str], admin: RecordingClient
) -> None:
    # One place decides (configuration.shape and .validation): the same wrong values give
    # the same problems over the API and on the settings page (in English).
    client, token = console
    await client.post("/console/language", data={"csrf_token": token, "language": "en"})
    form = await _form(client, "schedule")
    form.update({"schedule.intervalMinutes": "0", "support.inboundRetentionDays": "x"})
    page = _errors((await client.post(f"{PAGE}/schedule", data=form)).text)
    api = await admin.patch(
        "/api/v1/systems/test/config",
        {"schedule": {"intervalMinutes": 0}, "support": {"inboundRetentionDays": "x"}},
    )
    assert api.status_code == 422
    assert {
        "f-" + e["field"].replace(".", "-"): [e["message"]] for e in api.json()["errors"]
    } == page
