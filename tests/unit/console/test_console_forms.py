"""The settings form of the console: text in, a merge patch out, problems on their fields."""

from __future__ import annotations

import pytest

from app.configuration.document import ConfigDocument, IxhausSettings
from app.console.forms import FIELDS, FormProblems, field_of, text_values, to_patch


def _form(document: ConfigDocument, **changes: str) -> dict[str, str]:
    values = text_values(document)
    form = {k: v for k, v in values.items() if not isinstance(v, bool)}
    form.update({k: "on" for k, v in values.items() if v is True})
    form.update(changes)
    return form


def test_every_document_field_is_on_the_form() -> None:
    names = {f.name for f in FIELDS}
    assert "schedule.intervalMinutes" in names
    assert "conflictPolicy.status" in names
    # Each of C1-C15 that lives in the document has a field (secrets are separate).
    for field in ("objects.range", "personTypes", "docuware.filters", "ticketUserNumber"):
        assert field in names


def test_the_form_round_trips_a_stored_document() -> None:
    document = ConfigDocument(
        ixhaus=IxhausSettings(table_names={"tickets": "V_TICKETS"}),
        person_types=["M", "E"],
    )
    form = _form(document)
    assert form["personTypes"] == "M\nE"
    patch = to_patch({**form, "objects.range": "1001-1099\n2000"}, document)
    assert patch["personTypes"] == ["M", "E"]
    assert patch["objects"]["range"] == [
        {"from": "1001", "to": "1099"},
        {"from": "2000", "to": "2000"},
    ]
    assert patch["ixhaus"]["tableNames"] == {"tickets": "V_TICKETS"}
    assert patch["schedule"]["quietHours"] is None
    assert "secrets" not in patch  # empty secret fields keep the stored secrets


def test_a_removed_table_name_is_removed_by_the_merge_patch() -> None:
    document = ConfigDocument(ixhaus=IxhausSettings(table_names={"tickets": "V_TICKETS"}))
    patch = to_patch(_form(document, **{"ixhaus.tableNames": ""}), document)
    assert patch["ixhaus"]["tableNames"] == {"tickets": None}


def test_secrets_are_sent_when_either_field_is_filled() -> None:
    document = ConfigDocument()
    form = _form(document, **{"secrets.casaviSecret.value": "s3cret"})
    assert to_patch(form, document)["secrets"] == {
        "casaviSecret": {"value": "s3cret", "confirmation": ""}
    }


def test_text_that_is_not_a_number_or_a_range_names_its_field() -> None:
    document = ConfigDocument()
    form = _form(
        document,
        **{
            "schedule.intervalMinutes": "five",
            "objects.range": "1001-",
            "schedule.quietHours.start": "22:00",
        },
    )
    with pytest.raises(FormProblems) as raised:
        to_patch(form, document)
    assert [(name, key) for name, key, _ in raised.value.problems] == [
        ("objects.range", "form.invalid_range"),
        ("schedule.intervalMinutes", "form.invalid_number"),
        ("schedule.quietHours.start", "form.quiet_both"),
    ]


@pytest.mark.parametrize(
    ("reported", "field"),
    [
        ("objects.range[1]", "objects.range"),
        ("objects.range[0].from", "objects.range"),
        ("ixhaus.tableNames.bogus", "ixhaus.tableNames"),
        ("schedule.quietHours", "schedule.quietHours.start"),
        ("secrets.casaviSecret.confirmation", "secrets.casaviSecret.confirmation"),
        ("ticketUserNumber", "ticketUserNumber"),
    ],
)
def test_service_problems_land_on_their_form_field(reported: str, field: str) -> None:
    assert field_of(reported) == field


def test_a_quiet_hour_that_is_no_time_of_day_says_what_is_expected() -> None:
    # issue 19: "25:99" got a misleading message
    document = ConfigDocument()
    form = _form(
        document,
        **{"schedule.quietHours.start": "25:99", "schedule.quietHours.end": "06:00"},
    )
    with pytest.raises(FormProblems) as raised:
        to_patch(form, document)
    assert raised.value.problems == [
        ("schedule.quietHours.start", "form.invalid_time", {"value": "25:99"})
    ]


def test_number_fields_carry_the_servers_limits_for_the_browser() -> None:
    interval = next(f for f in FIELDS if f.name == "schedule.intervalMinutes")
    assert (interval.minimum, interval.maximum) == (1, 1440)
    start = next(f for f in FIELDS if f.name == "schedule.quietHours.start")
    assert start.pattern is not None
