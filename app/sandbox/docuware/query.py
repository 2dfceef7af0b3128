"""The simulator's evaluation of a ``DialogExpression`` over its documents.

Semantics as DocuWare documents them: one value = match (``*``/``?`` wildcards,
case-insensitive), two values = inclusive range with ``null`` for an open end, ``EMPTY()`` /
``NOTEMPTY()`` test for a value; conditions combine with ``Operation`` And/Or.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import msgspec

from app.sandbox.docuware.state import SimDocument

MAX_COUNT = 10_000  # KBA-36909
LIMIT_MESSAGE = (
    "The requested search result count exceeds the system limit of 10000 per request. "
    "Please lower count value and use paging"
)


class SimCondition(msgspec.Struct, kw_only=True):
    db_name: str = msgspec.field(name="DBName")
    value: list[str | None] = msgspec.field(name="Value")


class SimExpression(msgspec.Struct, kw_only=True):
    condition: list[SimCondition] = msgspec.field(name="Condition")
    operation: str = msgspec.field(default="And", name="Operation")
    force_refresh: bool = msgspec.field(default=True, name="ForceRefresh")


def _holds(document: SimDocument, condition: SimCondition) -> bool:
    actual = document.fields.get(condition.db_name)
    if condition.db_name == "DWDOCID":
        actual = str(document.id)
    values = condition.value
    if len(values) == 1:
        wanted = values[0]
        if wanted is None or wanted == "EMPTY()":
            return not actual
        if wanted == "NOTEMPTY()":
            return bool(actual)
        return actual is not None and fnmatchcase(actual.casefold(), wanted.casefold())
    low, high = values[0], values[1]
    if actual is None:
        return False
    return (low is None or actual >= low) and (high is None or actual <= high)


def matches(document: SimDocument, expression: SimExpression) -> bool:
    results = (_holds(document, condition) for condition in expression.condition)
    return any(results) if expression.operation.lower() == "or" else all(results)


def known_fields(documents: list[SimDocument]) -> set[str]:
    names = {"DWDOCID"}
    for document in documents[:1]:
        names.update(document.fields)
    return names
