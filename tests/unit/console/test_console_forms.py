"""The settings forms of the console: text in, a merge patch out, problems on their fields."""

from __future__ import annotations

import pytest

from app.configuration.document import ConfigDocument, IxhausSettings
from app.configuration.secrets import SECRET_NAMES
from app.console.forms import FIELDS, GROUPS, SECRETS, field_of, group_of, text_values, to_patch


def _form(document: ConfigDocument, **changes: str) -> dict[str, str]:
    values = text_values(document)
    form = {k: v for k, v in values.items() if not isinstance(v, bool)}
    form.update({k: "on" for k, v in values.items() if v is True})
    form.update(changes)
    return form


def _group(name: str):  # type: ignore[no-untyped-def]
    group = group_of(name)
    assert group is not None
    return group


def test_every_document_field_and_secret_is_on_exactly_one_page() -> None:
    # issue 19 item 3: one page per group of rules
    assert [g.name for g in GROUPS] == [
        "casavi", "ixhaus", "docuware", "objects", "documents", "tickets", "schedule",
    ]  # fmt: skip
    names = [f.name for f in FIELDS]
    assert len(names) == len(set(names))
    for field in ("objects.range", "personTypes", "docuware.filters", "ticketUserNumber"):
        assert field in names
    assert sorted(SECRETS) == sorted(SECRET_NAMES)


def test_the_form_round_trips_a_stored_document() -> None:
    document = ConfigDocument(
        ixhaus=IxhausSettings(table_names={"tickets": "V_TICKETS"}),
        person_types=["M", "E"],
    )
    form = _form(document)
    assert form["personTypes"] == "M\nE"
    objects = to_patch({**form, "objects.range": "1001-1099\n\n2000"}, _group("objects"), document)
    assert objects["personTypes"] == ["M", "E"]
    assert objects["objects"]["range"] == [
        {"from": "1001", "to": "1099"},
        {"from": "2000", "to": "2000"},
    ]
    assert to_patch(form, _group("ixhaus"), document)["ixhaus"]["tableNames"] == {
        "tickets": "V_TICKETS"
    }
    schedule = to_patch(form, _group("schedule"), document)
    assert schedule["schedule"]["quietHours"] is None
    assert "secrets" not in schedule  # empty secret fields keep the stored secrets


def test_a_page_sends_only_its_own_fields() -> None:
    document = ConfigDocument()
    patch = to_patch(_form(document), _group("documents"), document)
    assert set(patch) == {"documentTypes", "maxDocumentBytes"}


def test_a_removed_table_name_is_removed_by_the_merge_patch() -> None:
    document = ConfigDocument(ixhaus=IxhausSettings(table_names={"tickets": "V_TICKETS"}))
    form = _form(document, **{"ixhaus.tableNames": ""})
    assert to_patch(form, _group("ixhaus"), document)["ixhaus"]["tableNames"] == {"tickets": None}


def test_secrets_are_sent_when_either_field_is_filled() -> None:
    document = ConfigDocument()
    form = _form(document, **{"secrets.casaviSecret.value": "s3cret"})
    assert to_patch(form, _group("casavi"), document)["secrets"] == {
        "casaviSecret": {"value": "s3cret", "confirmation": ""}
    }


def test_text_that_is_not_a_number_is_passed_on_for_the_configuration_to_judge() -> None:
    # The form does not judge: the configuration names every problem (one place).
    document = ConfigDocument()
    form = _form(
        document,
        **{"schedule.intervalMinutes": " five ", "schedule.quietHours.start": "25:99"},
    )
    patch = to_patch(form, _group("schedule"), document)
    assert patch["schedule"]["intervalMinutes"] == "five"
    assert patch["schedule"]["quietHours"] == {"start": "25:99", "end": None}
    assert (
        to_patch(_form(document, **{"portalAccountLeadDays": "-3"}), _group("objects"), document)[
            "portalAccountLeadDays"
        ]
        == -3
    )


@pytest.mark.parametrize(
    ("reported", "field"),
    [
        ("objects.range[1]", ("objects.range", 2)),
        ("objects.range[0].from", ("objects.range", 1)),
        ("ixhaus.tableNames.bogus", ("ixhaus.tableNames", None)),
        ("schedule.quietHours", ("schedule.quietHours.start", None)),
        ("secrets.casaviSecret.confirmation", ("secrets.casaviSecret.confirmation", None)),
        ("ticketUserNumber", ("ticketUserNumber", None)),
    ],
)
def test_configuration_problems_land_on_their_form_field(
    reported: str, field: tuple[str, int | None]
) -> None:
    assert field_of(reported) == field


def test_fields_carry_the_servers_constraints_for_the_browser() -> None:
    # issue 19 item 3: min, max, pattern, required as the configuration's types say
    by_name = {f.name: f.constraints for f in FIELDS}
    interval = by_name["schedule.intervalMinutes"]
    assert (interval.minimum, interval.maximum, interval.required) == (1, 1440, True)
    assert (by_name["portalAccountLeadDays"].minimum, by_name["portalAccountLeadDays"].maximum) == (
        0,
        3650,
    )
    assert by_name["maxDocumentBytes"].minimum == 1
    assert by_name["support.retentionDays"].maximum == 3650
    assert by_name["inbound.pollSeconds"].maximum == 3600
    assert by_name["schedule.quietHours.start"].pattern == "([01][0-9]|2[0-3]):[0-5][0-9]"
    assert by_name["ticketUserNumber"].pattern == "[0-9]{3}"
    assert by_name["ixhaus.documentRoot"].max_length == 1000
