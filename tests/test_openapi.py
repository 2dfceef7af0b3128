"""openapi/gateway.json is generated from the app; this test fails when it is stale."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import openapi_document
from app.environment import load_settings

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "gateway.json"


def test_committed_spec_matches_the_app() -> None:
    generated = openapi_document(load_settings({}))
    committed = SPEC.read_text(encoding="utf-8")
    assert generated == committed, (
        "openapi/gateway.json is stale: run `portal-gateway openapi` and commit the result"
    )


def test_spec_documents_auth_and_problems() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "name": "X-API-Key",
        "in": "header",
        "description": spec["components"]["securitySchemes"]["apiKey"]["description"],
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/api/v1/"):
                continue
            if "/callbacks/" in path:
                # Callers such as DocuWare cannot send an API key: a signature authenticates.
                assert operation["security"] == [{}], (method, path)
                statuses: tuple[str, ...] = ("400", "401")
            else:
                assert operation["security"] == [{"apiKey": []}], (method, path)
                statuses = ("400", "401", "403")
            for status in statuses:
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
