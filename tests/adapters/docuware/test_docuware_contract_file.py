"""openapi/docuware.yaml itself: valid OpenAPI 3.1 where every path, operation and schema
says whether DocuWare documents it (with its source) or we inferred it."""

from __future__ import annotations

from typing import Any

import yaml
from openapi_spec_validator import validate

from tests.support.docuware import SPEC_PATH

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


def test_documented_facts_are_kept() -> None:
    spec = _spec()
    search = spec["paths"]["/DocuWare/Platform/FileCabinets/{FileCabinetId}/Query/DialogExpression"]
    count = next(p for p in search["post"]["parameters"] if p["name"] == "count")
    assert "KBA-36909" in count["x-source"]
    token = spec["components"]["schemas"]["TokenRequest"]["properties"]
    # App Registration (client_credentials) beside the documented grants (issue 18).
    assert token["grant_type"]["enum"] == ["password", "trusted", "dwtoken", "client_credentials"]
    assert token["client_secret"]["x-provenance"] == "inferred"
    assert "impersonateName" in token
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
