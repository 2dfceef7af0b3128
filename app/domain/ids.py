"""Ids that arrive from outside: each has a declared pattern and length (issue 23 items 4, 5).

An id is text another system (casavi, iX-Haus plus, an operator) names a thing by; it reaches
the gateway's tables, its logs and other systems' URLs. So every one of them is bounded and
free of control characters (NUL, CR/LF, the Unicode line separators): PostgreSQL refuses NUL
in text (a 500 where SQLite stored it), and a line break forges log lines. Anything else is
a 400 problem at the edge, on every backend.

Patterns here must match the *whole* text: ``$`` alone also matches before a final newline in
Python's ``re`` (which msgspec and Litestar validate with), so ``"evt_1\\n"`` would pass
``^[^\\x00-\\x1f]+$``. ``whole()`` closes that with a lookahead that both Python and the
ECMAScript dialect of OpenAPI understand.

Nothing is cut before a uniqueness check: an id longer than its column is stored as its head
and a digest of the whole (``stored_id``), so two ids with a common head stay two.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import msgspec

# No C0/C1 control characters (NUL, CR, LF, ESC...), DEL, nor U+2028/U+2029.
_VISIBLE = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"


def whole(body: str) -> str:
    """A pattern matching only if ``body`` matches the whole text (no trailing newline)."""
    return rf"^(?:{body})(?![\s\S])"


# Marks an id field, so that a body whose id breaks its pattern is a 400 (bad request), not
# a 422 (a valid request whose content breaks a rule): see ``app.api.hardening``.
ID_MARK = {"gateway_id": True}

# casavi's ids (tickets, messages, documents): casavi's "Referenz ID" is at most 100 long.
CASAVI_ID_PATTERN = whole(_VISIBLE + "{1,100}")
CasaviId = Annotated[str, msgspec.Meta(pattern=CASAVI_ID_PATTERN, max_length=100, extra=ID_MARK)]

# A callback's event id: the key that stores each event once.
EVENT_ID_MAX_LENGTH = 256
EVENT_ID_PATTERN = whole(_VISIBLE + f"{{1,{EVENT_ID_MAX_LENGTH}}}")
EventId = Annotated[
    str, msgspec.Meta(pattern=EVENT_ID_PATTERN, max_length=EVENT_ID_MAX_LENGTH, extra=ID_MARK)
]

# A field name casavi lists as changed (``changedFields``).
FIELD_NAME_PATTERN = whole(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")
FieldName = Annotated[str, msgspec.Meta(pattern=FIELD_NAME_PATTERN, max_length=64, extra=ID_MARK)]

# A record's key as the protocol shows it: ``<kind>:<part>[/<part>...]`` (``unit:1001/01``);
# at most 128 long, the ledger's and the protocol's column.
ENTITY_KEY_MAX_LENGTH = 128
ENTITY_KEY_PATTERN = whole(r"[a-z_]{1,32}:[^\x00-\x1f\x7f-\x9f\u2028\u2029:]{1,95}")
EntityKeyText = Annotated[
    str,
    msgspec.Meta(
        pattern=ENTITY_KEY_PATTERN,
        min_length=3,
        max_length=ENTITY_KEY_MAX_LENGTH,
        extra=ID_MARK,
        description="the record's key as the protocol shows it, e.g. `unit:1001/01`",
    ),
]


def stored_id(value: str, column_length: int) -> str:
    """``value`` as a column of ``column_length`` holds it: itself when it fits, else its head
    and the SHA-256 of all of it (``<head>~<64 hex>``), never just a cut."""
    if len(value) <= column_length:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[: column_length - len(digest) - 1]}~{digest}"
