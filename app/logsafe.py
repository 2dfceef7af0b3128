"""Untrusted values (paths, headers, names from requests) made safe to put into a log line.

A request path may carry ``%0a``: logged as decoded, it would start a second, forged log
line. ``untrusted`` escapes every non-printable character (newlines, NUL, escape sequences,
Unicode line separators) and the backslash itself, and caps the length.
"""

from __future__ import annotations

MAX_LOGGED_CHARS = 200


def untrusted(value: object, *, limit: int = MAX_LOGGED_CHARS) -> str:
    text = str(value)
    cut = len(text) > limit
    text = text[:limit]
    escaped = "".join(_escape(char) for char in text)
    return escaped + "…" if cut else escaped


def _escape(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
