"""Signing and verifying casavi callbacks (contract: webhook ``casaviEvent``).

Header ``X-Casavi-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`` where each ``v1`` is
HMAC-SHA256 over ``"<t>.<raw body>"`` with a shared secret (Stripe's scheme). Several ``v1``
values allow secret rotation. The receiver checks the raw bytes (never re-serialised JSON),
compares in constant time and rejects timestamps outside the tolerance in both directions.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import TypeVar

import msgspec
from msgspec import UnsetType

from app.adapters.casavi.wire_tickets import CallbackEvent as CallbackEnvelope
from app.sync.ports.events import CALLBACK_KINDS, CallbackEvent, CallbackRefs

# The whole wire shape of the signature lives here (contract: inferred), so a different real
# scheme is a change of these names and of ``_digest``.
SIGNATURE_HEADER = "X-Casavi-Signature"
TIMESTAMP_KEY = "t"
SIGNATURE_KEY = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
_T = TypeVar("_T")


class InvalidSignature(ValueError):
    """The callback is not signed by a secret we know, or is outside the tolerance."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: Iterable[str], timestamp: int | None = None) -> str:
    """The header value for ``body``, signed with every secret given."""
    moment = int(time.time()) if timestamp is None else timestamp
    parts = [
        f"{TIMESTAMP_KEY}={moment}",
        *(f"{SIGNATURE_KEY}={_digest(secret, moment, body)}" for secret in secrets),
    ]
    return ",".join(parts)


def verify(
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Return the signed timestamp, or raise ``InvalidSignature`` (never anything else)."""
    if not header:
        raise InvalidSignature("missing signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == TIMESTAMP_KEY and value.isdigit():
            timestamp = int(value)
        elif name == SIGNATURE_KEY and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise InvalidSignature("timestamp outside the tolerance window")
    for secret in secrets:
        expected = _digest(secret, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return timestamp
    raise InvalidSignature("no signature matches")


class MalformedEvent(ValueError):
    """The body is not a callback envelope we understand."""


def parse_event(body: bytes) -> CallbackEvent:
    """Decode a (verified) callback body into its kind; raise ``MalformedEvent`` for anything
    else. The wire envelope (``wire_tickets.CallbackEvent``, with the contract's id patterns)
    is the one place that knows the shape; the kind is what the inbox and the handlers get."""
    try:
        event = msgspec.json.decode(body, type=CallbackEnvelope)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedEvent(str(exc)[:300]) from None
    data = event.data
    return CALLBACK_KINDS[event.type](
        id=event.id,
        occurred_at=event.occurred_at,
        data=CallbackRefs(
            ticket_id=data.ticket_id,
            message_id=_given(data.message_id),
            document_id=_given(data.document_id),
            changed_fields=tuple(_given(data.changed_fields) or ()),
        ),
    )


def _given(value: _T | UnsetType) -> _T | None:
    return None if isinstance(value, UnsetType) else value
