"""``shape_issues``: every way an answer differs from the contract's schema, named by field."""

from __future__ import annotations

from typing import Any

from app.adapters.casavi.contract import shape_issues

TICKET: dict[str, Any] = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["OPEN", "DONE"]},
        "modifiedAt": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def test_fields_missing_extra_mistyped_and_outside_the_contract_are_named() -> None:
    answer = {"status": "LOST", "modifiedAt": "yesterday", "tags": ["a", 1, 2], "x": 1}
    assert shape_issues(TICKET, answer) == [
        "id missing",
        "status: value outside the contract",
        "modifiedAt: value outside the contract (not an ISO-8601 date-time)",
        "tags[]: expected string, got integer",  # two bad items: one issue
        "x extra",
    ]
    assert shape_issues(TICKET, {"id": "7", "status": "OPEN"}) == []


def test_the_answer_itself_and_the_closest_alternative() -> None:
    assert shape_issues(TICKET, [1]) == ["the answer: expected object, got array"]
    either = {"oneOf": [{"type": "integer"}, TICKET]}
    assert shape_issues(either, {"id": "7", "status": "OPEN"}) == []
    assert shape_issues(either, "7") == ["the answer: expected integer, got string"]
    assert shape_issues(None, object()) == []
