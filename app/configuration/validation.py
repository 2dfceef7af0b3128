"""Validation of a configuration document beyond its shape: every problem names its field.

The shape (types, bounds, patterns) is checked by ``configuration.shape`` against the
document's types; what is here needs more than one field, the system, or iX-Haus."""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from app.alerts.settings import alert_problems
from app.configuration.document import (
    ConfigDocument,
    ConfigInput,
    ObjectRange,
    SecretsInput,
    System,
)
from app.configuration.rules import to_domain_range
from app.configuration.shape import Found, invalid_body, repaired, shape_problems
from app.domain.catalogue import IxhausCatalogue
from app.domain.config import number_order
from app.errors import InvalidInput

# NUL, newlines, escape sequences, C1 controls, Unicode line breaks: no setting needs them,
# and they break URLs, SQL drivers (PostgreSQL refuses NUL) and log lines.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_MESSAGE = "must not contain control characters (NUL, line breaks, tabs, escapes)"


class Problem(msgspec.Struct, frozen=True):
    field: str
    message: str


def secret_problems(secrets: SecretsInput | None) -> list[Problem]:
    """Rule C2: each secret's confirmation must match its value."""
    problems: list[Problem] = []
    if secrets is None:
        return problems
    for name, given in msgspec.structs.asdict(secrets).items():
        if given is None:
            continue
        if _CONTROL.search(given.value):
            problems.append(Problem(f"secrets.{_camel(name)}.value", CONTROL_MESSAGE))
        if not hmac.compare_digest(given.value.encode(), given.confirmation.encode()):
            api_name = _camel(name)
            problems.append(
                Problem(f"secrets.{api_name}.confirmation", "does not match the value entered")
            )
    return problems


def document_problems(system: System, doc: ConfigDocument, secrets_set: set[str]) -> list[Problem]:
    """Everything wrong with ``doc`` for ``system``; ``secrets_set`` = secrets stored after save."""
    problems: list[Problem] = control_character_problems(doc)
    add = problems.append
    problems += _range_problems("objects.range", doc.objects.range)
    problems += _range_problems("objects.fullHistoryRange", doc.objects.full_history_range)
    problems += _duplicates("personTypes", doc.person_types)
    problems += _duplicates("documentTypes.withTimeFilter", doc.document_types.with_time_filter)
    problems += _duplicates(
        "documentTypes.withoutTimeFilter", doc.document_types.without_time_filter
    )
    for code in sorted(
        set(doc.document_types.with_time_filter) & set(doc.document_types.without_time_filter)
    ):
        add(Problem("documentTypes.withoutTimeFilter", f"{code!r} is also in withTimeFilter"))
    problems += _duplicates("userTeams", doc.user_teams)
    if doc.user_teams and not doc.licences.komfortpaket:
        add(Problem("userTeams", "needs the Komfortpaket licence (rule C8)"))
    for name, url in (
        ("casavi.baseUrl", doc.casavi.base_url),
        ("docuware.baseUrl", doc.docuware.base_url),
    ):
        if url is not None:
            problems += _url_problems(name, url, system)
    if doc.active:
        missing = [n for n in ("casaviApiKey", "casaviSecret") if n not in secrets_set]
        if doc.casavi.base_url is None:
            missing.insert(0, "casavi.baseUrl")
        if missing:
            add(Problem("active", f"the interface cannot be active without {', '.join(missing)}"))
    problems += [Problem(field, message) for field, message in alert_problems(doc.alerts)]
    return problems


def checked_input(
    system: System, raw: Any, stored_secrets: set[str], found: Found = ()
) -> ConfigInput:
    """``raw`` (a decoded JSON body) as a ``ConfigInput``, or ``InvalidInput`` naming every
    problem at once: its shape (``configuration.shape``) and, over what is left once the
    offending values are taken out, everything below. ``stored_secrets``: API names of
    the secrets already stored; ``found``: problems already taken out of ``raw`` (the API's
    strict decoding). The API, the console and the CLI all save through this."""
    # ``found`` is already out of ``raw``: only what this walk finds is taken out here (taking
    # a list entry out twice would drop the entry that moved into its place).
    walked = shape_problems(raw, ConfigInput)
    found = [*found, *walked]
    candidate = repaired(raw, ConfigInput, walked)
    if candidate is None:
        raise_if_any([Problem(*item) for item in found])
    try:
        body = msgspec.convert(candidate, ConfigInput)
    except msgspec.ValidationError as exc:  # a type the walk does not know
        raise invalid_body(exc) from None
    given = body.secrets
    provided = {
        _camel(name)
        for name, value in msgspec.structs.asdict(given or SecretsInput()).items()
        if value
    }
    doc = ConfigDocument(
        **{k: v for k, v in msgspec.structs.asdict(body).items() if k != "secrets"}
    )
    reported = [field for field, _ in found]
    more = [
        (p.field, p.message)
        for p in secret_problems(given)
        + document_problems(system, doc, stored_secrets | provided)
        + table_name_problems(doc)
        if not any(_related(p.field, field) for field in reported)
    ]
    raise_if_any([Problem(*item) for item in found + more])
    return body


def _related(a: str, b: str) -> bool:
    """One field is the other or lies inside it. Within a list every entry counts as the
    list: taking out a wrong entry shifts the others' indices."""
    a, b = a.partition("[")[0], b.partition("[")[0]
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def control_character_problems(doc: ConfigDocument) -> list[Problem]:
    """Every text field (and map key) of the document that holds a control character."""
    problems: list[Problem] = []

    def walk(value: object, field: str) -> None:
        if isinstance(value, str):
            if _CONTROL.search(value):
                problems.append(Problem(field or "body", CONTROL_MESSAGE))
        elif isinstance(value, dict):
            for key, item in value.items():
                if _CONTROL.search(str(key)):
                    # Name the map, not the key: the key is what must not be echoed.
                    problems.append(Problem(field or "body", f"keys {CONTROL_MESSAGE}"))
                    continue
                walk(item, f"{field}.{key}" if field else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{field}[{index}]")

    walk(msgspec.to_builtins(doc), "")
    return problems


def table_name_problems(doc: ConfigDocument) -> list[Problem]:
    from app.adapters.ixhaus.schema import LOGICAL_TABLES

    return [
        Problem(f"ixhaus.tableNames.{name}", "is not a table of the iX-Haus interface")
        for name in doc.ixhaus.table_names
        if name not in LOGICAL_TABLES and not _CONTROL.search(name)
    ]


def catalogue_problems(doc: ConfigDocument, catalogue: IxhausCatalogue) -> list[Problem]:
    """References to objects, types, teams and users that iX-Haus does not know."""
    problems: list[Problem] = []
    for name, ranges in (
        ("objects.range", doc.objects.range),
        ("objects.fullHistoryRange", doc.objects.full_history_range),
    ):
        for index, item in enumerate(ranges):
            entry = to_domain_range(item)
            if not catalogue.objects_in(entry):
                problems.append(Problem(f"{name}[{index}]", f"no iX-Haus object in {entry}"))
    for field, codes, known in (
        ("personTypes", doc.person_types, catalogue.person_types),
        (
            "documentTypes.withTimeFilter",
            doc.document_types.with_time_filter,
            catalogue.document_types,
        ),
        (
            "documentTypes.withoutTimeFilter",
            doc.document_types.without_time_filter,
            catalogue.document_types,
        ),
        ("userTeams", doc.user_teams, catalogue.teams),
    ):
        unknown = [code for code in codes if code not in known]
        if unknown:
            problems.append(Problem(field, f"unknown to iX-Haus: {', '.join(unknown)}"))
    number = doc.ticket_user_number
    if number is not None:
        user = catalogue.users.get(number)
        if user is None:
            problems.append(Problem("ticketUserNumber", f"iX-Haus has no user {number} (rule C11)"))
        elif not (user.active and user.plus_rights):
            problems.append(
                Problem(
                    "ticketUserNumber", f"user {number} is inactive or lacks iX-Haus plus rights"
                )
            )
    return problems


def raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(
            "The configuration is invalid: "
            + "; ".join(f"{p.field} {p.message}" for p in problems),
            errors=[(p.field, p.message) for p in problems],
        )


def _range_problems(name: str, ranges: list[ObjectRange]) -> list[Problem]:
    """Ranges of one list must not overlap. An object may be in both lists: C4 (full
    history) then applies, as in the old interface where both lists were kept apart."""
    problems = []
    for index, item in enumerate(ranges):
        if number_order(item.start) > number_order(item.end):
            problems.append(Problem(f"{name}[{index}]", "'from' is after 'to'"))
    for a_index, a in enumerate(ranges):
        for b_index in range(a_index + 1, len(ranges)):
            b = ranges[b_index]
            if number_order(a.start) <= number_order(b.end) and number_order(
                b.start
            ) <= number_order(a.end):
                problems.append(Problem(f"{name}[{b_index}]", f"overlaps {name}[{a_index}]"))
    return problems


def _duplicates(field: str, values: Iterable[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for value in values:
        if value in seen:
            problems.append(Problem(field, f"{value!r} is listed twice"))
        seen.add(value)
    return problems


def _url_problems(field: str, url: str, system: System) -> list[Problem]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem(field, "must be an absolute http(s) URL")]
    if parts.username or parts.password:
        return [Problem(field, "must not contain credentials (use the secret fields)")]
    if system == "production" and parts.scheme != "https":
        return [Problem(field, "must use https in the production system")]
    return []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
