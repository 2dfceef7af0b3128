"""A JSON body against its type: the problems, named by field."""

from __future__ import annotations

import re

import msgspec

from app.errors import InvalidInput

_MSGSPEC_PATH = re.compile(r" - at `\$\.?([^`]*)`$")


def invalid_body(exc: msgspec.ValidationError) -> InvalidInput:
    message = str(exc)
    match = _MSGSPEC_PATH.search(message)
    field = match.group(1) if match else ""
    text = _MSGSPEC_PATH.sub("", message)
    return InvalidInput(f"{field or 'body'}: {text}", errors=[(field or "body", text)])
