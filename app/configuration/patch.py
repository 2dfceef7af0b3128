"""The body of PATCH (JSON merge patch, RFC 7396) as a type, derived from ``ConfigInput``.

Every field may be left out (keeps the stored value) or be ``null`` (back to its default);
a nested object whose fields all have defaults is itself a partial patch, while objects that
only make sense whole (quiet hours, a secret with its confirmation) and arrays are replaced
whole. Unknown properties are refused. Deriving the type keeps the PATCH schema in the
OpenAPI document equal to what the server accepts, field by field (issue 10 item 8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union, get_args, get_origin  # Union: for get_origin

import msgspec
from msgspec import UNSET, UnsetType

from app.configuration.document import ConfigInput


def _all_defaulted(cls: type[msgspec.Struct]) -> bool:
    return all(
        field.default is not msgspec.NODEFAULT or field.default_factory is not msgspec.NODEFAULT
        for field in msgspec.structs.fields(cls)
    )


def _struct_in(tp: Any) -> type[msgspec.Struct] | None:
    """The Struct type of a field typed ``S`` or ``S | None``, else None."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp
    if get_origin(tp) is Union or type(tp).__name__ == "UnionType":
        structs = [
            arg for arg in get_args(tp) if isinstance(arg, type) and issubclass(arg, msgspec.Struct)
        ]
        if len(structs) == 1 and set(get_args(tp)) <= {structs[0], type(None)}:
            return structs[0]
    return None


def _patch_of(cls: type[msgspec.Struct], name: str) -> type[msgspec.Struct]:
    fields: list[tuple[str, Any, Any]] = []
    for field in msgspec.structs.fields(cls):
        tp = field.type
        nested = _struct_in(tp)
        if nested is not None and _all_defaulted(nested):
            tp = _patch_of(nested, nested.__name__ + "Patch")
        fields.append(
            (
                field.name,
                tp | None | UnsetType,
                msgspec.field(default=UNSET, name=field.encode_name),
            )
        )
    return msgspec.defstruct(
        name,
        fields,
        kw_only=True,
        forbid_unknown_fields=True,
        module=__name__,
    )


if TYPE_CHECKING:

    class ConfigPatch(msgspec.Struct):
        """A JSON merge patch over the configuration document."""

else:
    ConfigPatch = _patch_of(ConfigInput, "ConfigPatch")
    ConfigPatch.__doc__ = (
        "A JSON merge patch (RFC 7396) over the configuration: a property left out keeps "
        "its value, null sets it back to its default; secrets are entered twice."
    )


def merge_patch(patch: msgspec.Struct) -> dict[str, Any]:
    """The patch as the JSON object it came as (left-out properties stay left out)."""
    result = msgspec.to_builtins(patch)
    assert isinstance(result, dict)
    return result


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` over ``target`` as RFC 7396 says: null removes, objects merge, the rest
    replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
