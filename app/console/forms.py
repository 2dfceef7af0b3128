"""The settings forms of one system (rules C1–C15): one form per group of rules.

Each field is named by its path in the configuration document (``schedule.intervalMinutes``),
the same name the configuration reports its problems under, so an error lands next to its
field. The form only turns text into JSON (lists are one entry per line; object ranges are
``1001`` or ``1001-1099``); whether a value is right is decided in one place, the
configuration (``configuration.shape`` and ``configuration.validation``), for the API and
the console alike. The browser-side constraints (min, max, pattern, required) are read from
the same types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
import msgspec.inspect as mi

from app.configuration.document import ConfigDocument, ConflictPolicies
from app.configuration.shape import type_at

Kind = Literal["bool", "text", "int", "lines", "ranges", "mapping", "time", "policy"]
_WHOLE = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Constraints:
    """What the browser checks, taken from the document's type (the server checks it all)."""

    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    required: bool = False


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    input_type: str = "text"
    # ``ixhaus.tablePrefix``: an empty value is a choice, not "back to the default".
    keep_empty: bool = False
    constraints: Constraints = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "constraints", _constraints(self))

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9]", "-", self.name)


@dataclass(frozen=True)
class Group:
    """One page of the settings: its fields and its secrets (API names)."""

    name: str
    fields: tuple[Field, ...]
    secrets: tuple[str, ...] = ()


def _constraints(f: Field) -> Constraints:
    info = type_at(ConfigDocument, f.name)
    required = f.kind == "int"
    if isinstance(info, mi.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
        return Constraints(minimum=low, maximum=high, required=required)
    if isinstance(info, mi.StrType):
        # HTML anchors a pattern itself; the document's patterns are written anchored.
        pattern = info.pattern.removeprefix("^").removesuffix("$") if info.pattern else None
        return Constraints(pattern=pattern, min_length=info.min_length, max_length=info.max_length)
    return Constraints(required=required)


POLICIES = ("ixhaus_wins", "casavi_wins", "manual")
POLICY_FIELDS = tuple(f.encode_name for f in msgspec.structs.fields(ConflictPolicies))


def _number(name: str) -> Field:
    return Field(name, "int", input_type="number")


GROUPS: tuple[Group, ...] = (
    Group(
        "casavi",
        (
            Field("active", "bool"),
            Field("casavi.baseUrl", "text", input_type="url"),
            Field("casavi.allowWriteTest", "bool"),
            _number("inbound.pollSeconds"),
            Field("inbound.callbacksEnabled", "bool"),
        ),
        ("casaviApiKey", "casaviSecret", "callbackSecret"),
    ),
    Group(
        "ixhaus",
        (
            Field("ixhaus.schema", "text"),
            Field("ixhaus.tablePrefix", "text", keep_empty=True),
            Field("ixhaus.tableNames", "mapping"),
            Field("ixhaus.documentRoot", "text"),
            Field("licences.komfortpaket", "bool"),
            Field("licences.owners", "bool"),
            Field("licences.caretakers", "bool"),
        ),
        ("ixhausDatabaseUrl",),
    ),
    Group(
        "docuware",
        (
            Field("docuware.baseUrl", "text", input_type="url"),
            Field("docuware.username", "text"),
            Field("docuware.grant", "text"),
            Field("docuware.clientId", "text"),
            Field("docuware.impersonateName", "text"),
            Field("docuware.organization", "text"),
            Field("docuware.fileCabinetId", "text"),
            Field("docuware.filters", "lines"),
        ),
        ("docuwarePassword", "docuwareClientSecret", "docuwareWebhookSecret"),
    ),
    Group(
        "objects",
        (
            Field("objects.range", "ranges"),
            Field("objects.fullHistoryRange", "ranges"),
            Field("personTypes", "lines"),
            _number("portalAccountLeadDays"),
            _number("deleteAfterMoveOutDays"),
        ),
    ),
    Group(
        "documents",
        (
            Field("documentTypes.withTimeFilter", "lines"),
            Field("documentTypes.withoutTimeFilter", "lines"),
            _number("maxDocumentBytes"),
        ),
    ),
    Group(
        "tickets",
        (
            Field("userTeams", "lines"),
            Field("ticketUserNumber", "text"),
            *(Field(f"conflictPolicy.{name}", "policy") for name in POLICY_FIELDS),
        ),
    ),
    Group(
        "schedule",
        (
            _number("schedule.intervalMinutes"),
            Field("schedule.quietHours.start", "time"),
            Field("schedule.quietHours.end", "time"),
            Field("support.keepTransferPayloads", "bool"),
            Field("support.noDocuwareSync", "bool"),
            _number("support.retentionDays"),
            _number("support.inboundRetentionDays"),
        ),
        ("alertSmtpPassword", "alertWebhookSecret"),
    ),
)
GROUP_NAMES = tuple(group.name for group in GROUPS)
FIELDS: tuple[Field, ...] = tuple(f for group in GROUPS for f in group.fields)
SECRETS: tuple[str, ...] = tuple(name for group in GROUPS for name in group.secrets)


def group_of(name: str) -> Group | None:
    return next((group for group in GROUPS if group.name == name), None)


def secret_field_id(name: str, part: str) -> str:
    return f"f-secrets-{name}-{part}"


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _range_text(item: Mapping[str, str]) -> str:
    return item["from"] if item["from"] == item["to"] else f"{item['from']}-{item['to']}"


_SHOWN: dict[str, Callable[[Any], Any]] = {
    "bool": bool,
    "lines": lambda value: "\n".join(value or []),
    "ranges": lambda value: "\n".join(_range_text(r) for r in value or []),
    "mapping": lambda value: "\n".join(f"{k}={v}" for k, v in sorted((value or {}).items())),
}


def text_values(document: ConfigDocument) -> dict[str, Any]:
    """The form's values for a stored document: text for inputs, bools for checkboxes."""
    data = msgspec.to_builtins(document)
    values: dict[str, Any] = {}
    for f in FIELDS:
        value = _get(data, f.name)
        shown = _SHOWN.get(f.kind)
        values[f.name] = shown(value) if shown else ("" if value is None else str(value))
    return values


def submitted_values(form: Mapping[str, str]) -> dict[str, Any]:
    """What the operator entered, to show again next to the problems."""
    return {f.name: (f.name in form) if f.kind == "bool" else form.get(f.name, "") for f in FIELDS}


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _whole_number(raw: str) -> int | str:
    # Not a number: sent as it is, so the configuration says what it expects.
    text = raw.strip()
    return int(text) if _WHOLE.fullmatch(text) else text


def _ranges(raw: str) -> list[dict[str, str]]:
    entries = []
    for line in _lines(raw):
        start, sep, end = (part.strip() for part in line.partition("-"))
        entries.append({"from": start, "to": end if sep else start})
    return entries


def _mapping(raw: str, stored: Mapping[str, str]) -> dict[str, str | None]:
    # Names no longer listed are removed explicitly (merge patch: null removes).
    value: dict[str, str | None] = dict.fromkeys(stored)
    for line in _lines(raw):
        logical, _, physical = (part.strip() for part in line.partition("="))
        value[logical] = physical
    return value


def _value(f: Field, form: Mapping[str, str], current: ConfigDocument) -> Any:
    raw = form.get(f.name, "")
    if f.kind == "bool":
        return f.name in form
    if f.kind == "int":
        return _whole_number(raw)
    if f.kind == "lines":
        return _lines(raw)
    if f.kind == "ranges":
        return _ranges(raw)
    if f.kind == "mapping":
        return _mapping(raw, current.ixhaus.table_names)
    return raw.strip() if f.keep_empty else raw.strip() or None


def to_patch(form: Mapping[str, str], group: Group, current: ConfigDocument) -> dict[str, Any]:
    """A JSON merge patch (RFC 7396) setting every field of the group's form; secrets only
    when one of their two fields was filled in (empty keeps the stored secret)."""
    patch: dict[str, Any] = {}
    for f in group.fields:
        _put(patch, f.name, _value(f, form, current))
    quiet = patch.get("schedule", {}).get("quietHours")
    if quiet is not None and quiet["start"] is None and quiet["end"] is None:
        patch["schedule"]["quietHours"] = None  # neither: no quiet hours
    secrets = {
        name: {
            "value": form.get(f"secrets.{name}.value", ""),
            "confirmation": form.get(f"secrets.{name}.confirmation", ""),
        }
        for name in group.secrets
        if form.get(f"secrets.{name}.value") or form.get(f"secrets.{name}.confirmation")
    }
    if secrets:
        patch["secrets"] = secrets
    return patch


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


_INDEX = re.compile(r"\[(\d+)\](.*)$")


def field_of(reported: str) -> tuple[str, int | None]:
    """The form field a problem belongs to, and the entry (1-based) in a list field:
    ``objects.range[1].from`` → (``objects.range``, 2), ``ixhaus.tableNames.tickets`` →
    ``ixhaus.tableNames``, ``schedule.quietHours`` → its start."""
    found = _INDEX.search(reported)
    entry = int(found.group(1)) + 1 if found else None
    name = _INDEX.sub("", reported)
    if name.startswith("ixhaus.tableNames"):
        name = "ixhaus.tableNames"
    elif name == "schedule.quietHours":
        name = "schedule.quietHours.start"
    elif name.startswith("secrets.") and not name.endswith((".value", ".confirmation")):
        name += ".value"
    return name, entry
