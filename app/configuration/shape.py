"""A JSON value against its msgspec type: every problem at once, in words an operator can act on.

msgspec stops at the first wrong value and speaks its own language (``Expected `int` >= 1``,
a regular expression). ``shape_problems`` walks the whole value instead and names each wrong
field with what is expected: "must be a whole number", "must be between 1 and 3650", "must
be a time of day from 00:00 to 23:59". A pattern is never shown: a constrained string type
says what it expects in ``Meta(extra={"expected": ...})`` (see ``configuration.document``).

``without_problems`` drops the offending values, so that the checks that need a whole
document (overlapping ranges, an active system without its key) can run in the same round
and an operator sees everything wrong at once.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import msgspec.inspect as mi

from app.errors import InvalidInput

_MSGSPEC_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

Found = Sequence[tuple[str, str]]  # (field path, message)
_Out = list[tuple[str, str]]

_KIND: dict[type, str] = {
    mi.IntType: "must be a whole number",
    mi.FloatType: "must be a number",
    mi.BoolType: "must be true or false",
    mi.StrType: "must be text",
    mi.ListType: "must be a list",
    mi.DictType: "must be an object",
    mi.StructType: "must be an object",
    mi.DateTimeType: "must be a date and time (ISO 8601)",
}


_TAKES_NONE = (mi.Metadata, mi.UnionType, mi.NoneType, mi.AnyType)


def shape_problems(value: Any, tp: Any) -> _Out:
    """Every field of ``value`` (decoded JSON) that ``tp`` would refuse, with what it expects."""
    found: _Out = []
    _check(value, _type_info(tp), "", None, found)
    return found


@functools.cache
def _type_info(tp: Any) -> mi.Type:
    """msgspec's description of ``tp``, built once per type and only read: building it walks
    every annotation of every struct: about 2 ms of CPU for the configuration, which every
    save walks and a refused body up to nine times (``repaired``)."""
    return mi.type_info(tp)


def _check(value: Any, info: mi.Type, path: str, expected: str | None, found: _Out) -> None:
    if value is None and not isinstance(info, _TAKES_NONE):
        found.append((path, "is required"))
        return
    check = _CHECKS.get(type(info), _converted)
    check(value, info, path, expected, found)


def _metadata(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    extra = info.extra or {}
    _check(value, info.type, path, extra.get("expected", expected), found)


def _bool(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if not isinstance(value, bool):
        found.append((path, _KIND[mi.BoolType]))


def _none(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if value is not None:
        found.append((path, "must be empty (null)"))


def _literal(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if value not in info.values:
        found.append((path, "must be one of: " + ", ".join(map(str, info.values))))


def _anything(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    return


def _union(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    options = [t for t in info.types if not isinstance(t, mi.NoneType)]
    if value is None:
        if len(options) < len(info.types):
            return
        found.append((path, "is required"))
        return
    if len(options) == 1:
        _check(value, options[0], path, expected, found)
        return
    for option in options:  # several types: the value must fit one of them
        trial: _Out = []
        _check(value, option, path, expected, trial)
        if not trial:
            return
    found.append((path, "has the wrong type"))


def _struct(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if not isinstance(value, dict):
        found.append((path or "body", _KIND[mi.StructType]))
        return
    known = {field.encode_name: field for field in info.fields}
    for name in value:
        if name not in known:
            # Named under its object, as msgspec does; a hostile name is not echoed.
            shown = name if len(name) <= 64 and not _CONTROL.search(name) else None
            found.append(
                (path or "body", f"has no field “{shown}”" if shown else "has an unknown field")
            )
    for name, field in known.items():
        if name in value:
            _check(value[name], field.type, _join(path, name), None, found)
        elif field.required:
            found.append((_join(path, name), "is required"))


def _number(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    whole = isinstance(info, mi.IntType)
    if value == "":  # an empty form field
        found.append((path, "is required"))
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (whole and not isinstance(value, int))
    ):
        found.append((path, _KIND[type(info)]))
        return
    low = (
        info.ge if info.ge is not None else (info.gt + 1 if whole and info.gt is not None else None)
    )
    high = (
        info.le if info.le is not None else (info.lt - 1 if whole and info.lt is not None else None)
    )
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            found.append((path, f"must be between {low} and {high}"))
        elif low is not None:
            found.append((path, f"must be at least {low}"))
        else:
            found.append((path, f"must be at most {high}"))
    elif info.gt is not None and value <= info.gt:
        found.append((path, f"must be greater than {info.gt}"))
    elif info.lt is not None and value >= info.lt:
        found.append((path, f"must be less than {info.lt}"))


def _text(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if not isinstance(value, str):
        found.append((path, _KIND[mi.StrType]))
    elif info.min_length and len(value) < info.min_length:
        found.append(
            (path, "must not be empty" if info.min_length == 1 else expected or "is too short")
        )
    elif info.max_length is not None and len(value) > info.max_length:
        found.append((path, f"must be at most {info.max_length} characters long"))
    elif info.pattern is not None and not re.search(info.pattern, value):
        found.append((path, f"must be {expected}" if expected else "is not in the expected form"))


def _items(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if not isinstance(value, list):
        found.append((path, _KIND[mi.ListType]))
        return
    for index, item in enumerate(value):
        _check(item, info.item_type, f"{path}[{index}]", None, found)


def _mapping(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    if not isinstance(value, dict):
        found.append((path, _KIND[mi.DictType]))
        return
    for key, item in value.items():
        if _CONTROL.search(str(key)):
            found.append((path, "keys must not contain control characters"))
            continue
        _check(key, info.key_type, path, None, found)
        _check(item, info.value_type, _join(path, str(key)), None, found)


def _converted(value: Any, info: Any, path: str, expected: str | None, found: _Out) -> None:
    """Types no setting uses today (dates, UUIDs...): msgspec's verdict, in plain words."""
    tp = getattr(info, "cls", None)
    if tp is None:
        return
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError:
        found.append((path, _KIND.get(type(info), "has the wrong type")))


_Check = Callable[[Any, Any, str, str | None, _Out], None]
_CHECKS: dict[type, _Check] = {
    mi.Metadata: _metadata,
    mi.UnionType: _union,
    mi.StructType: _struct,
    mi.IntType: _number,
    mi.FloatType: _number,
    mi.StrType: _text,
    mi.BoolType: _bool,
    mi.NoneType: _none,
    mi.LiteralType: _literal,
    mi.ListType: _items,
    mi.VarTupleType: _items,
    mi.SetType: _items,
    mi.FrozenSetType: _items,
    mi.DictType: _mapping,
    mi.AnyType: _anything,
}


def type_at(tp: Any, path: str) -> mi.Type:
    """The type of the field at ``path`` (``schedule.quietHours.start``), without its
    ``None`` option and its metadata: what a form field mirrors."""
    info = _plain(_type_info(tp))
    for part in path.split("."):
        if not isinstance(info, mi.StructType):
            raise KeyError(path)
        by_name = {f.encode_name: f for f in info.fields}
        info = _plain(by_name[part].type)
    return info


def _plain(info: mi.Type) -> mi.Type:
    if isinstance(info, mi.Metadata):
        return _plain(info.type)
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(options) == 1:
            return _plain(options[0])
    return info


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def without_problems(value: Any, found: Found) -> Any:
    """``value`` with every offending field taken out (a list entry, or an object's key).

    Used only to find the remaining problems of a refused body; it is never saved."""
    paths = {tuple(_parts(path)) for path, _ in found}
    for parts in sorted(
        paths, key=lambda p: [(0, x) if isinstance(x, int) else (1, x) for x in p], reverse=True
    ):
        _remove(value, list(parts))
    return value


def repaired(value: Any, tp: Any, found: Found) -> Any:
    """A copy of ``value`` that ``tp`` accepts, offending fields taken out (an object whose
    required field went with them goes too); None if that does not converge. Without
    ``found``: ``value`` itself (nothing to take out, nothing to copy)."""
    if not found:
        return value
    value = copy.deepcopy(value)
    for _ in range(8):
        if not found:
            return value
        without_problems(value, found)
        found = [
            (path.rpartition(".")[0] if message == "is required" else path, message)
            for path, message in shape_problems(value, tp)
        ]
    return None


def _parts(path: str) -> list[str | int]:
    return [m.group(1) or int(m.group(2)) for m in _PATH_PART.finditer(path)]


def _remove(value: Any, parts: list[str | int]) -> None:
    *parents, last = parts or [""]
    for part in parents:
        value = _child(value, part)
    if isinstance(last, int) and isinstance(value, list) and last < len(value):
        del value[last]
    elif isinstance(value, dict):
        value.pop(last, None)


def _child(value: Any, part: str | int) -> Any:
    if isinstance(value, list) and isinstance(part, int) and part < len(value):
        return value[part]
    if isinstance(value, dict) and isinstance(part, str):
        return value.get(part)
    return None


def raise_problems(found: Found) -> None:
    if found:
        raise InvalidInput(
            "; ".join(f"{field}: {message}" for field, message in found),
            errors=found,
        )


def invalid_body(exc: msgspec.ValidationError) -> InvalidInput:
    """msgspec's first problem, when the walk found none (a type it does not know)."""
    message = str(exc)
    match = _MSGSPEC_PATH.search(message)
    field = match.group(1) if match else ""
    text = _MSGSPEC_PATH.sub("", message)
    return InvalidInput(f"{field or 'body'}: {text}", errors=[(field or "body", text)])
