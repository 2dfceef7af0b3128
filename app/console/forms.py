"""The settings form of one system (rules C1–C15): fields, their text form, the merge patch.

Each field is named by its path in the configuration document (``schedule.intervalMinutes``),
the same name the configuration service reports its problems under, so an error lands next
to its field. Lists are one entry per line; object ranges are ``1001`` or ``1001-1099``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from app.configuration.document import ConfigDocument, ConflictPolicies
from app.configuration.secrets import SECRET_NAMES

Kind = Literal["bool", "text", "int", "lines", "ranges", "mapping", "time", "policy"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    section: str
    input_type: str = "text"
    # Browser-side constraints, the same as the server's (``configuration.document`` and
    # ``configuration.validation``); the server still checks everything.
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None

    @property
    def id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9]", "-", self.name)


POLICIES = ("ixhaus_wins", "casavi_wins", "manual")
CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]"
POLICY_FIELDS = tuple(f.encode_name for f in msgspec.structs.fields(ConflictPolicies))

FIELDS: tuple[Field, ...] = (
    Field("active", "bool", "server"),
    Field("casavi.baseUrl", "text", "server", input_type="url"),
    Field("casavi.allowWriteTest", "bool", "server"),
    Field("ixhaus.schema", "text", "ixhaus"),
    Field("ixhaus.tablePrefix", "text", "ixhaus"),
    Field("ixhaus.tableNames", "mapping", "ixhaus"),
    Field("ixhaus.documentRoot", "text", "ixhaus"),
    Field("objects.range", "ranges", "selection"),
    Field("objects.fullHistoryRange", "ranges", "selection"),
    Field("personTypes", "lines", "selection"),
    Field("documentTypes.withTimeFilter", "lines", "selection"),
    Field("documentTypes.withoutTimeFilter", "lines", "selection"),
    Field("userTeams", "lines", "selection"),
    Field("docuware.baseUrl", "text", "docuware", input_type="url"),
    Field("docuware.username", "text", "docuware"),
    Field("docuware.grant", "text", "docuware"),
    Field("docuware.clientId", "text", "docuware"),
    Field("docuware.impersonateName", "text", "docuware"),
    Field("docuware.organization", "text", "docuware"),
    Field("docuware.fileCabinetId", "text", "docuware"),
    Field("docuware.filters", "lines", "docuware"),
    Field("maxDocumentBytes", "int", "docuware", input_type="number", minimum=1),
    Field("portalAccountLeadDays", "int", "people", input_type="number", minimum=0, maximum=3650),
    Field("ticketUserNumber", "text", "people", pattern="[0-9]{3}"),
    Field("deleteAfterMoveOutDays", "int", "people", input_type="number", minimum=0, maximum=3650),
    Field("licences.komfortpaket", "bool", "licences"),
    Field("licences.owners", "bool", "licences"),
    Field("licences.caretakers", "bool", "licences"),
    Field("support.keepTransferPayloads", "bool", "support"),
    Field("support.noDocuwareSync", "bool", "support"),
    Field("support.retentionDays", "int", "support", input_type="number", minimum=1, maximum=3650),
    Field(
        "support.inboundRetentionDays",
        "int",
        "support",
        input_type="number",
        minimum=1,
        maximum=3650,
    ),
    Field("inbound.pollSeconds", "int", "schedule", input_type="number", minimum=1, maximum=3600),
    Field("inbound.callbacksEnabled", "bool", "schedule"),
    Field(
        "schedule.intervalMinutes", "int", "schedule", input_type="number", minimum=1, maximum=1440
    ),
    Field("schedule.quietHours.start", "time", "schedule", pattern=CLOCK),
    Field("schedule.quietHours.end", "time", "schedule", pattern=CLOCK),
    *(Field(f"conflictPolicy.{name}", "policy", "conflicts") for name in POLICY_FIELDS),
)
SECTIONS = (
    "server",
    "ixhaus",
    "selection",
    "docuware",
    "people",
    "licences",
    "support",
    "schedule",
    "conflicts",
)
SECRETS = tuple(SECRET_NAMES)  # API names, e.g. casaviApiKey


def secret_field_id(name: str, part: str) -> str:
    return f"f-secrets-{name}-{part}"


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def text_values(document: ConfigDocument) -> dict[str, Any]:
    """The form's values for a stored document: text for inputs, bools for checkboxes."""
    data = msgspec.to_builtins(document)
    values: dict[str, Any] = {}
    for field in FIELDS:
        value = _get(data, field.name)
        if field.kind == "bool":
            values[field.name] = bool(value)
        elif field.kind == "lines":
            values[field.name] = "\n".join(value or [])
        elif field.kind == "ranges":
            values[field.name] = "\n".join(
                r["from"] if r["from"] == r["to"] else f"{r['from']}-{r['to']}" for r in value or []
            )
        elif field.kind == "mapping":
            values[field.name] = "\n".join(f"{k}={v}" for k, v in sorted((value or {}).items()))
        else:
            values[field.name] = "" if value is None else str(value)
    return values


class FormProblems(Exception):
    """Values the form cannot even turn into a document: (field, i18n key, fields)."""

    def __init__(self, problems: list[tuple[str, str, dict[str, object]]]) -> None:
        super().__init__("form problems")
        self.problems = problems


def submitted_values(form: Mapping[str, str]) -> dict[str, Any]:
    """What the operator entered, to show again next to the problems."""
    return {
        field.name: (field.name in form) if field.kind == "bool" else form.get(field.name, "")
        for field in FIELDS
    }


def to_patch(form: Mapping[str, str], current: ConfigDocument) -> dict[str, Any]:
    """A JSON merge patch (RFC 7396) setting every field of the form; secrets only when one
    of their two fields was filled in (empty keeps the stored secret)."""
    problems: list[tuple[str, str, dict[str, object]]] = []
    patch: dict[str, Any] = {}
    stored_tables = current.ixhaus.table_names
    for field in FIELDS:
        raw = form.get(field.name, "")
        value: Any
        if field.kind == "bool":
            value = field.name in form
        elif field.name == "ixhaus.tablePrefix":
            value = raw.strip()  # an empty prefix is a valid choice
        elif field.kind == "time":
            value = raw.strip() or None
            if value is not None and not re.fullmatch(CLOCK, value):
                problems.append((field.name, "form.invalid_time", {"value": value}))
                continue
        elif field.kind in ("text", "policy"):
            value = raw.strip() or None
        elif field.kind == "int":
            try:
                value = int(raw.strip())
            except ValueError:
                problems.append((field.name, "form.invalid_number", {}))
                continue
        elif field.kind == "lines":
            value = [line.strip() for line in raw.splitlines() if line.strip()]
        elif field.kind == "ranges":
            value = []
            for number, line in enumerate(raw.splitlines(), start=1):
                if not line.strip():
                    continue
                start, sep, end = (p.strip() for p in line.partition("-"))
                if not start or (sep and not end):
                    problems.append((field.name, "form.invalid_range", {"line": number}))
                    break
                value.append({"from": start, "to": end if sep else start})
        else:  # mapping: names no longer listed are removed explicitly (merge patch)
            value = dict.fromkeys(stored_tables)
            for number, line in enumerate(raw.splitlines(), start=1):
                if not line.strip():
                    continue
                logical, sep, physical = (p.strip() for p in line.partition("="))
                if not sep or not logical or not physical:
                    problems.append((field.name, "form.invalid_mapping", {"line": number}))
                    break
                value[logical] = physical
        _put(patch, field.name, value)
    quiet = patch["schedule"].pop("quietHours", {})
    quiet.setdefault("start", None)
    quiet.setdefault("end", None)
    if any(name.startswith("schedule.quietHours") for name, _, _ in problems):
        pass
    elif quiet["start"] and quiet["end"]:
        patch["schedule"]["quietHours"] = quiet
    elif quiet["start"] or quiet["end"]:
        problems.append(("schedule.quietHours.start", "form.quiet_both", {}))
    else:
        patch["schedule"]["quietHours"] = None
    if problems:
        raise FormProblems(problems)
    secrets = {}
    for name in SECRETS:
        value_text = form.get(f"secrets.{name}.value", "")
        confirmation = form.get(f"secrets.{name}.confirmation", "")
        if value_text or confirmation:
            secrets[name] = {"value": value_text, "confirmation": confirmation}
    if secrets:
        patch["secrets"] = secrets
    return patch


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


_INDEX = re.compile(r"\[\d+\].*$")


def field_of(reported: str) -> str:
    """The form field a problem belongs to: ``objects.range[1].from`` → ``objects.range``,
    ``ixhaus.tableNames.tickets`` → ``ixhaus.tableNames``, ``schedule.quietHours`` → start."""
    name = _INDEX.sub("", reported)
    if name.startswith("ixhaus.tableNames"):
        return "ixhaus.tableNames"
    if name == "schedule.quietHours":
        return "schedule.quietHours.start"
    if name.startswith("secrets.") and not name.endswith((".value", ".confirmation")):
        return name + ".value"
    return name
