"""Configuration per system over the API (rules C1–C15)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.configuration.conftest import RecordingClient, unique_secret
from tests.leakcheck import SecretLeakCheck

PROD = "/api/v1/systems/production/config"
TEST = "/api/v1/systems/test/config"


def full_document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "active": False,
        "casavi": {"baseUrl": "https://api.mycasavi.com", "allowWriteTest": False},
        "objects": {
            "range": [{"from": "1000", "to": "1999"}, {"from": "3000", "to": "3000"}],
            "fullHistoryRange": [{"from": "2000", "to": "2099"}],
        },
        "personTypes": ["MIETER", "EIGENTUEMER"],
        "documentTypes": {"withTimeFilter": ["NK-ABR"], "withoutTimeFilter": ["MIETVERTRAG"]},
        "userTeams": ["HAUSVERWALTUNG-NORD"],
        "docuware": {
            "baseUrl": "https://dms.example.org/DocuWare/Platform",
            "username": "gateway",
            "grant": "trusted",
            "clientId": None,
            "impersonateName": "hausverwaltung",
            "organization": "7c8d1e2f-0000-4000-8000-0000000000d1",
            "fileCabinetId": "b1f0c0de-0000-4000-8000-000000000001",
            "filters": ["DWDOCTYPE = 'Mieterbrief'"],
        },
        "portalAccountLeadDays": 14,
        "deleteAfterMoveOutDays": 90,
        "ticketUserNumber": "042",
        "licences": {"owners": True, "caretakers": False, "komfortpaket": True},
        "support": {
            "keepTransferPayloads": True,
            "noDocuwareSync": False,
            "inboundRetentionDays": 45,
            "retentionDays": 120,
        },
        "inbound": {"pollSeconds": 30, "callbacksEnabled": False},
        "schedule": {"intervalMinutes": 10, "quietHours": {"start": "22:00", "end": "05:30"}},
        "conflictPolicy": {"subject": "casavi_wins", "status": "manual"},
    }
    document.update(overrides)
    return document


async def test_two_systems_exist_and_start_switched_off(admin: RecordingClient) -> None:
    # rule C1: production and test are separate; rule C12: the interface is off by default
    for path, system in ((PROD, "production"), (TEST, "test")):
        response = await admin.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["system"] == system
        assert body["active"] is False
        assert body["version"] == 0
        assert body["deleteAfterMoveOutDays"] == 90  # rule C15 default
        assert set(body["conflictPolicy"].values()) == {"ixhaus_wins"}
        assert all(
            state == {"isSet": False, "changedAt": None} for state in body["secrets"].values()
        )


async def test_put_stores_every_setting_and_systems_stay_independent(
    admin: RecordingClient,
) -> None:
    # rules C3 C4 C5 C6 C7 C8 C9 C10 C11 C13 C14 C15: every setting round-trips
    response = await admin.put(TEST, full_document())
    assert response.status_code == 200, response.text
    body = response.json()
    sent = full_document()
    for field in (
        "objects",
        "personTypes",
        "documentTypes",
        "userTeams",
        "docuware",
        "portalAccountLeadDays",
        "deleteAfterMoveOutDays",
        "ticketUserNumber",
        "licences",
        "support",
        "inbound",
        "schedule",
        "casavi",
    ):
        assert body[field] == sent[field], field
    # rule: conflict policy per ticket field, iX-Haus wins unless stated otherwise
    assert body["conflictPolicy"]["subject"] == "casavi_wins"
    assert body["conflictPolicy"]["status"] == "manual"
    assert body["conflictPolicy"]["description"] == "ixhaus_wins"
    assert body["version"] == 1
    assert (await admin.get(TEST)).json() == {**body, "catalogueCheck": None}
    # rule C1: the production system did not change
    production = (await admin.get(PROD)).json()
    assert production["version"] == 0
    assert production["objects"]["range"] == []


async def test_patch_merges_and_null_resets_to_default(admin: RecordingClient) -> None:
    await admin.put(TEST, full_document())
    # rule C14: change the interval, drop the quiet hours
    response = await admin.patch(
        TEST, {"schedule": {"intervalMinutes": 2, "quietHours": None}, "personTypes": ["MIETER"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schedule"] == {"intervalMinutes": 2, "quietHours": None}
    assert body["personTypes"] == ["MIETER"]  # rule C5
    assert body["ticketUserNumber"] == "042"  # untouched
    assert body["version"] == 2


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"ticketUserNumber": "42"}, "ticketUserNumber"),  # rule C11
        ({"ticketUserNumber": "0042"}, "ticketUserNumber"),  # rule C11
        ({"portalAccountLeadDays": -1}, "portalAccountLeadDays"),  # rule C10
        ({"deleteAfterMoveOutDays": -5}, "deleteAfterMoveOutDays"),  # rule C15
        (
            {
                "objects": {
                    "range": [{"from": "1000", "to": "1999"}, {"from": "1500", "to": "2500"}]
                }
            },
            "objects.range[1]",
        ),  # rule C3
        (
            {
                "objects": {
                    "fullHistoryRange": [
                        {"from": "2000", "to": "2099"},
                        {"from": "2099", "to": "2100"},
                    ],
                }
            },
            "objects.fullHistoryRange[1]",
        ),  # rule C4
        ({"objects": {"range": [{"from": "20", "to": "10"}]}}, "objects.range[0]"),  # rule C3
        ({"objects": {"range": [{"from": "", "to": "10"}]}}, "objects.range[0].from"),  # rule C3
        ({"personTypes": ["MIETER", "MIETER"]}, "personTypes"),  # rule C5
        (
            {"documentTypes": {"withTimeFilter": ["A"], "withoutTimeFilter": ["A"]}},
            "documentTypes.withoutTimeFilter",
        ),  # rules C6 C7
        ({"userTeams": ["NORD"]}, "userTeams"),  # rule C8: needs the Komfortpaket licence
        ({"docuware": {"baseUrl": "https://user:pw@dms.example.org"}}, "docuware.baseUrl"),  # C9
        ({"casavi": {"baseUrl": "ftp://api.mycasavi.com"}}, "casavi.baseUrl"),  # rule C2
        ({"schedule": {"intervalMinutes": 0}}, "schedule.intervalMinutes"),  # rule C14
        (
            {"schedule": {"quietHours": {"start": "25:00", "end": "06:00"}}},
            "schedule.quietHours.start",
        ),  # rule C14
        ({"conflictPolicy": {"colour": "manual"}}, "conflictPolicy"),
        ({"conflictPolicy": {"subject": "coin_toss"}}, "conflictPolicy.subject"),
        ({"active": True}, "active"),  # rule C12: not without casavi URL, key and secret
        ({"licences": {"komfortpaket": "yes"}}, "licences.komfortpaket"),
    ],
)
async def test_invalid_settings_are_422_naming_the_field_and_change_nothing(
    admin: RecordingClient, patch: dict[str, Any], field: str
) -> None:
    before = (await admin.get(TEST)).json()
    response = await admin.patch(TEST, patch)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]], problem
    assert (await admin.get(TEST)).json() == before
    assert (await admin.get(TEST + "/changes")).json()["items"] == []


async def test_put_with_a_wrong_type_is_422_too(admin: RecordingClient) -> None:
    response = await admin.put(TEST, full_document(portalAccountLeadDays="soon"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "portalAccountLeadDays"


async def test_production_urls_must_be_https_test_urls_may_be_http(admin: RecordingClient) -> None:
    # rule C2: the sync URL; plain http is for the test system (simulators) only
    http_url = {"casavi": {"baseUrl": "http://127.0.0.1:9000"}}
    response = await admin.patch(PROD, http_url)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "casavi.baseUrl"
    assert "https" in response.json()["errors"][0]["message"]
    assert (await admin.patch(TEST, http_url)).status_code == 200


async def test_secret_confirmation_mismatch_is_422_and_nothing_is_stored(
    admin: RecordingClient, leak_check: SecretLeakCheck
) -> None:
    # rule C2: secret and key are entered twice and must match
    value = leak_check.use(unique_secret("casavi-key"))
    typo = leak_check.use(value + "x")
    response = await admin.patch(
        TEST, {"secrets": {"casaviApiKey": {"value": value, "confirmation": typo}}}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "secrets.casaviApiKey.confirmation",
            "message": "does not match the value entered",
        }
    ]
    assert (await admin.get(TEST)).json()["secrets"]["casaviApiKey"]["isSet"] is False


async def test_secrets_are_write_only_and_activation_needs_them(
    admin: RecordingClient, leak_check: SecretLeakCheck
) -> None:
    # rules C2 C12
    key = leak_check.use(unique_secret("casavi-key"))
    secret = leak_check.use(unique_secret("casavi-secret"))
    response = await admin.patch(
        PROD,
        {
            "active": True,
            "casavi": {"baseUrl": "https://api.mycasavi.com"},
            "secrets": {
                "casaviApiKey": {"value": key, "confirmation": key},
                "casaviSecret": {"value": secret, "confirmation": secret},
            },
        },
    )
    assert response.status_code == 200, response.text
    body = (await admin.get(PROD)).json()
    assert body["active"] is True
    assert body["secrets"]["casaviApiKey"]["isSet"] is True
    assert body["secrets"]["casaviApiKey"]["changedAt"] is not None
    assert body["secrets"]["casaviSecret"]["isSet"] is True
    assert body["secrets"]["docuwarePassword"]["isSet"] is False
    for text in (response.text, str(body)):
        assert key not in text
        assert secret not in text


async def test_audit_trail_names_actor_and_fields_never_secret_values(
    admin: RecordingClient, leak_check: SecretLeakCheck
) -> None:
    password = leak_check.use(unique_secret("dw-password"))
    await admin.patch(TEST, {"schedule": {"intervalMinutes": 15}})
    await admin.patch(
        TEST,
        {
            "docuware": {"username": "dw"},
            "secrets": {"docuwarePassword": {"value": password, "confirmation": password}},
        },
    )
    await admin.patch(TEST, {"schedule": {"intervalMinutes": 15}})  # no change, no entry
    response = await admin.get(TEST + "/changes")
    entries = response.json()["items"]
    assert [entry["fields"] for entry in entries] == [
        ["docuware.username", "secrets.docuwarePassword"],
        ["schedule.intervalMinutes"],
    ]
    assert all(entry["actor"].startswith("apikey:admin-") for entry in entries)
    assert all(entry["changedAt"] for entry in entries)
    assert password not in response.text


async def test_configuration_needs_the_admin_scope(
    admin: RecordingClient, ixhaus_key: str, settings: Any
) -> None:
    from litestar.testing import AsyncTestClient

    from app.asgi import create_app

    async with AsyncTestClient(create_app(settings)) as client:
        for method, path in (
            ("GET", TEST),
            ("PATCH", TEST),
            ("POST", "/api/v1/systems/test/check"),
        ):
            response = await client.request(
                method, path, headers={"X-API-Key": ixhaus_key}, json={}
            )
            assert response.status_code == 403, (method, path)
