"""Every wrong setting at once, in words, and nothing written (issue 19 item 3) - over the API."""

from __future__ import annotations

import re
from typing import Any

from tests.integration.configuration.conftest import RecordingClient

TEST = "/api/v1/systems/test/config"

FIVE_WRONG: dict[str, Any] = {
    "objects": {"range": [{"from": "abc", "to": "abc"}]},  # rule C3
    "schedule": {"intervalMinutes": 0, "quietHours": {"start": "25:99", "end": "06:00"}},  # C14
    "support": {"retentionDays": "ninety"},  # rule C13
    "ticketUserNumber": "12",  # rule C11
}
EXPECTED = {
    "objects.range[0].from": "must be an iX-Haus object number: a digit first, then digits, "
    "letters or dots, at most 20 characters",
    "objects.range[0].to": "must be an iX-Haus object number: a digit first, then digits, "
    "letters or dots, at most 20 characters",
    "schedule.intervalMinutes": "must be between 1 and 1440",
    "schedule.quietHours.start": "must be a time of day from 00:00 to 23:59 (HH:MM)",
    "support.retentionDays": "must be a whole number",
    "ticketUserNumber": "must be a three-digit iX-Haus user number (rule C11)",
}
LIBRARY_WORDS = re.compile(r"Expected|`|\^|\$|\[0-9\]|\{0,")


async def test_a_patch_with_five_wrong_values_names_all_of_them_and_writes_nothing(
    admin: RecordingClient,
) -> None:
    before = (await admin.get(TEST)).json()
    response = await admin.patch(TEST, FIVE_WRONG)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == EXPECTED
    assert not any(LIBRARY_WORDS.search(message) for message in errors.values()), errors
    assert (await admin.get(TEST)).json() == before
    assert (await admin.get(TEST + "/changes")).json()["items"] == []


async def test_a_put_names_every_wrong_field_too(admin: RecordingClient) -> None:
    document = (await admin.get(TEST)).json()
    for name in ("system", "version", "updatedAt", "secrets", "catalogueCheck"):
        document.pop(name, None)
    document["portalAccountLeadDays"] = "soon"  # rule C10
    document["deleteAfterMoveOutDays"] = -1  # rule C15
    document["inbound"]["pollSeconds"] = 0
    response = await admin.put(TEST, document)
    assert response.status_code == 422, response.text
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "portalAccountLeadDays": "must be a whole number",
        "deleteAfterMoveOutDays": "must be between 0 and 3650",
        "inbound.pollSeconds": "must be between 1 and 3600",
    }


async def test_shape_and_document_problems_come_together(admin: RecordingClient) -> None:
    # A wrong value and two overlapping ranges (rule C3) and user teams without the
    # Komfortpaket licence (rule C8): one answer names all three.
    response = await admin.patch(
        TEST,
        {
            "schedule": {"intervalMinutes": "often"},
            "objects": {"range": [{"from": "1000", "to": "1999"}, {"from": "1500", "to": "2500"}]},
            "userTeams": ["NORD"],
        },
    )
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"schedule.intervalMinutes", "objects.range[1]", "userTeams"}


async def test_a_wrong_list_entry_is_taken_out_once_so_the_others_still_count(
    admin: RecordingClient,
) -> None:
    # The wrong second entry is taken out before the rules that need the whole document run;
    # "B2", which moved into its place, is still checked against the other list (rule C7).
    response = await admin.patch(
        TEST,
        {"documentTypes": {"withTimeFilter": ["A1", 5, "B2"], "withoutTimeFilter": ["B2"]}},
    )
    assert response.status_code == 422, response.text
    assert {e["field"]: e["message"] for e in response.json()["errors"]} == {
        "documentTypes.withTimeFilter[1]": "must be text",
        "documentTypes.withoutTimeFilter": "'B2' is also in withTimeFilter",
    }
