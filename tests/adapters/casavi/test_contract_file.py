"""openapi/casavi.yaml itself: a valid OpenAPI 3.1 document where every path, operation and
schema says whether it is documented by casavi (with its source) or inferred by us."""

from __future__ import annotations

from typing import Any

import yaml
from openapi_spec_validator import validate

from tests.support.contract import SPEC_PATH

METHODS = {"get", "put", "post", "patch", "delete"}


def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def _provenance_problems(where: str, node: dict[str, Any]) -> list[str]:
    kind = node.get("x-provenance")
    if kind not in {"documented", "inferred"}:
        return [f"{where}: x-provenance is {kind!r}"]
    if kind == "documented" and not str(node.get("x-source", "")).startswith("https://"):
        return [f"{where}: documented without x-source URL"]
    return []


def test_contract_is_valid_openapi() -> None:
    validate(_spec())


def test_every_path_operation_and_schema_states_its_provenance() -> None:
    spec = _spec()
    problems: list[str] = []
    for path, item in spec["paths"].items():
        problems += _provenance_problems(path, item)
        for method in METHODS & set(item):
            problems += _provenance_problems(f"{method.upper()} {path}", item[method])
    for name, schema in spec["components"]["schemas"].items():
        problems += _provenance_problems(f"schema {name}", schema)
    for name, hook in spec["webhooks"].items():
        problems += _provenance_problems(f"webhook {name}", hook["post"])
    assert problems == []


def test_every_operation_has_an_id_and_names_its_evidence() -> None:
    spec = _spec()
    problems: list[str] = []
    ids: list[str] = []
    for path, item in spec["paths"].items():
        for method in METHODS & set(item):
            operation = item[method]
            ids.append(str(operation.get("operationId")))
            source = str(operation.get("x-source", ""))
            if not (source.startswith(("https://", "http://")) or source.startswith("none public")):
                problems.append(f"{method.upper()} {path}: x-source is {source!r}")
    assert problems == []
    assert len(ids) == len(set(ids))
    assert "None" not in ids


def test_public_evidence_against_an_operation_is_flagged() -> None:
    # casavi-api.md §8: a unified-API vendor offers staffmember and contact read-only and
    # ticket without create.
    spec = _spec()
    flagged = {
        item[method]["operationId"]
        for item in spec["paths"].values()
        for method in METHODS & set(item)
        if "x-evidence-against" in item[method]
    }
    assert flagged == {
        "createStaff",
        "updateStaff",
        "deleteStaff",
        "createContact",
        "updateContact",
        "deleteContact",
        "createTicket",
    }
    hook = spec["webhooks"]["casaviEvent"]["post"]
    assert hook["x-offered-natively"] is False
    assert [s["url"] for s in spec["servers"]] == [
        "https://api.mycasavi.com",
        "https://api-v2.mycasavi.com",
    ]


def test_documented_shapes_are_followed() -> None:
    spec = _spec()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "token",
        "x-provenance": "documented",
        "x-source": "https://api.mycasavi.com/api/manager/",
    }
    schemas = spec["components"]["schemas"]
    assert schemas["AuthResponse"]["required"] == ["token", "expiresAt"]
    for page in ("PropertyPage", "UnitPage", "ContactPage", "TicketPage"):
        assert schemas[page]["required"] == ["list", "_links"]
    assert schemas["Property"]["properties"]["id"] == {"$ref": "#/components/schemas/RefId"}
    assert schemas["Property"]["properties"]["internalId"] == {
        "$ref": "#/components/schemas/InternalId"
    }


def test_the_packaged_contract_is_the_yaml() -> None:
    # The live contract check reads app/adapters/casavi/casavi_contract.json at run time;
    # regenerate it with `python -m app.adapters.casavi.contract` after editing the YAML.
    from app.adapters.casavi.contract import contract

    spec = _spec()
    spec.pop("x-anchors", None)
    assert contract() == spec
