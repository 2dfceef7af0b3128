"""Issue 10 item 8: the OpenAPI document states what the server does, found by schemathesis."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.api.schema_alignment import msgspec_components

CONFIG = "/api/v1/systems/test/config"


async def _spec(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    return (await client.get("/schema/openapi.json")).json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        (CONFIG, "GET, OPTIONS, PATCH, PUT"),
        ("/api/v1/api-keys", "GET, OPTIONS"),
        ("/api/v1/systems/test/sync-runs", "OPTIONS, POST"),
    ],
)
async def test_options_lists_every_method_of_the_path(
    client: AsyncTestClient[Litestar], admin_key: str, path: str, methods: str
) -> None:
    # issue 10 item 8: Litestar's own OPTIONS answer said "OPTIONS, PATCH" for the config.
    response = await client.options(path, headers={"X-API-Key": admin_key})
    assert response.status_code == 204
    assert response.headers["allow"] == methods


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("PUT", {"active": 0}, "active"),
        ("PUT", {"support": {"noDocuwareSync": 1}}, "support.noDocuwareSync"),
        ("PUT", {"licences": {"owners": "true"}}, "licences.owners"),
        ("PUT", {"schedule": {"intervalMinutes": "5"}}, "schedule.intervalMinutes"),
        ("PATCH", {"active": 1}, "active"),
        ("PATCH", {"licences": {"komfortpaket": 0}}, "licences.komfortpaket"),
    ],
)
async def test_booleans_and_numbers_are_decoded_strictly(
    client: AsyncTestClient[Litestar], admin_key: str, method: str, body: Any, field: str
) -> None:
    # issue 10 item 8: `0` used to be accepted as false (Litestar converts leniently).
    response = await client.request(method, CONFIG, json=body, headers={"X-API-Key": admin_key})
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_patch_schema_is_what_the_server_accepts(client: AsyncTestClient[Litestar]) -> None:
    # issue 10 item 8: the PATCH body was a free-form object; the server refused most of it.
    spec = await _spec(client)
    operation = spec["paths"]["/api/v1/systems/{system}/config"]["patch"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ConfigPatch"}
    schemas = spec["components"]["schemas"]
    patch, document = schemas["ConfigPatch"], schemas["ConfigInput"]
    assert patch["additionalProperties"] is False
    assert document["additionalProperties"] is False
    assert set(patch["properties"]) == set(document["properties"])
    assert patch.get("required", []) == []
    # Constraints inside containers survive (Litestar's generator dropped them).
    item = document["properties"]["personTypes"]["items"]
    assert item["pattern"]
    assert item["maxLength"] > 0
    # The served components are msgspec's own schemas of the Structs that decode the bodies.
    for name, schema in msgspec_components().items():
        assert schemas[name] == _without_nulls(schema), name


def _without_nulls(value: Any) -> Any:
    # Litestar's serialiser leaves out keys whose value is None (e.g. "default": null).
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


async def test_a_partial_patch_keeps_the_rest(
    client: AsyncTestClient[Litestar], admin_key: str
) -> None:
    headers = {"X-API-Key": admin_key}
    policies = {"conflictPolicy": {"subject": "manual", "status": "casavi_wins"}}
    assert (await client.patch(CONFIG, json=policies, headers=headers)).status_code == 200
    response = await client.patch(
        CONFIG, json={"conflictPolicy": {"status": None}}, headers=headers
    )
    assert response.status_code == 200
    policy = response.json()["conflictPolicy"]
    assert policy["subject"] == "manual"  # left out: kept
    assert policy["status"] == "ixhaus_wins"  # null: back to the default
    unknown = await client.patch(CONFIG, json={"colour": "blue"}, headers=headers)
    assert unknown.status_code == 422


async def test_numbers_parameter_has_the_pattern_the_server_applies(
    client: AsyncTestClient[Litestar], ixhaus_key: str
) -> None:
    spec = await _spec(client)
    operation = spec["paths"]["/api/v1/systems/{system}/tickets/portal-status"]["get"]
    (numbers,) = [p for p in operation["parameters"] if p["name"] == "numbers"]
    pattern = numbers["schema"]["pattern"]
    assert re.fullmatch(pattern, "1,22,333")
    assert not re.fullmatch(pattern, "1, 2")
    assert not re.fullmatch(pattern, ",".join(["1"] * 501))
    base = "/api/v1/systems/test/tickets/portal-status"
    headers = {"X-API-Key": ixhaus_key}
    assert (await client.get(f"{base}?numbers=1,22", headers=headers)).status_code == 200
    assert (await client.get(f"{base}?numbers=1,%C2%B2", headers=headers)).status_code == 400


async def test_undeclared_query_parameters_are_refused(
    client: AsyncTestClient[Litestar], ixhaus_key: str
) -> None:
    response = await client.get("/api/v1/sync-runs?limt=5", headers={"X-API-Key": ixhaus_key})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "limt", "message": "is not a parameter of this operation"}
    ]
