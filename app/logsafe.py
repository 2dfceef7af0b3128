"""Untrusted values (paths, headers, names from requests) made safe to put into a log line.

A request path may carry ``%0a``: logged as decoded, it would start a second, forged log
line. ``untrusted`` escapes every non-printable character (newlines, NUL, escape sequences,
Unicode line separators) and the backslash itself, and caps the length.
"""

from __future__ import annotations

import logging
import re

MAX_LOGGED_CHARS = 200
_UNSAFE = re.compile(r"[^\S ]|[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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


class OneLinePerRecord(logging.Filter):
    """A handler filter: a record's message never spans lines, whatever its arguments held.

    Defence in depth behind ``untrusted``: installed on the process's log handlers by the CLI,
    it escapes control characters in every formatted message (tracebacks are not messages
    and keep their lines).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _UNSAFE.search(message):
            record.msg = "".join(_escape(char) if _UNSAFE.match(char) else char for char in message)
            record.args = None
        return True


def install(handlers: list[logging.Handler] | None = None) -> None:
    """Put ``OneLinePerRecord`` on the given handlers (default: the root logger's)."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        if not any(isinstance(f, OneLinePerRecord) for f in handler.filters):
            handler.addFilter(OneLinePerRecord())
