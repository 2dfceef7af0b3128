"""The simulator's runtime state: configuration, fault switches and counters."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import msgspec

from app.sandbox.casavi.store import SimStore


class Faults(msgspec.Struct, kw_only=True, rename="camel"):
    """Fault switches, set at runtime with ``PUT /_sandbox/faults`` (counters count down)."""

    latency_ms: int = 0  # added before every contract request
    rate_limit_per_second: int | None = None  # a real limit: 429 + Retry-After above it
    throttle_next: int = 0  # the next N contract requests get 429
    retry_after_seconds: int = 1  # the Retry-After sent with every 429
    fail_next: int = 0  # the next N contract requests get ``fail_status``
    fail_status: int = 503
    # Every request whose "METHOD /path" starts with one of these gets ``fail_status`` (until
    # cleared): one failing parent, say "PUT /v2/properties/1001".
    fail_routes: list[str] = msgspec.field(default_factory=list)
    lose_responses: int = 0  # the next N creates are stored, then the connection drops
    expire_tokens: bool = False  # one-shot: every issued token stops working now
    drop_callbacks: int = 0  # the next N events are never delivered
    duplicate_callbacks: bool = False  # every event is delivered twice (same id)
    callback_delay_ms: int = 0  # each delivery waits this long first
    reorder_callbacks: int = 0  # hold N events, then deliver them newest first


class Variant(msgspec.Struct, kw_only=True, rename="camel"):
    """A casavi that deviates from the contract (``app.sandbox.casavi.variants``)."""

    messages_segment: str = "messages"
    ticket_create: bool = True
    renamed_fields: dict[str, str] = msgspec.field(default_factory=dict)


class CallbackSettings(msgspec.Struct, kw_only=True, rename="camel"):
    url: str | None = None
    secret: str | None = None


@dataclass
class Stats:
    requests: int = 0
    authentications: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    # Answers by "METHOD status" (e.g. "POST 409": a create of a record casavi holds).
    by_status: Counter[str] = field(default_factory=Counter)
    callbacks: Counter[str] = field(default_factory=Counter)
    # Query parameters no operation declares: "METHOD /path/template name" -> count.
    unknown_query: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "authentications": self.authentications,
            "maxInFlight": self.max_in_flight,
            "byRoute": dict(self.by_route),
            "byStatus": dict(self.by_status),
            "callbacks": dict(self.callbacks),
            "unknownQuery": dict(self.unknown_query),
        }


class RateWindow:
    """A fixed one-second window counter for ``rateLimitPerSecond``."""

    def __init__(self) -> None:
        self._window = 0
        self._count = 0

    def admit(self, limit: int) -> float | None:
        """None if admitted, else the seconds left in the current window."""
        now = time.monotonic()
        window = int(now)
        if window != self._window:
            self._window, self._count = window, 0
        self._count += 1
        if self._count <= limit:
            return None
        return window + 1 - now


@dataclass
class Simulator:
    store: SimStore
    key: str
    secret: str
    token_ttl_seconds: float
    default_page_size: int
    max_upload_bytes: int
    callbacks: CallbackSettings
    # The sandbox's casavi invites every new contact that has an e-mail address.
    invite_contacts: bool = False
    variant: Variant = field(default_factory=Variant)
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    rate_window: RateWindow = field(default_factory=RateWindow)

    def take(self, name: str) -> bool:
        """Use up one unit of a counting fault; True if it fired."""
        remaining = int(getattr(self.faults, name))
        if remaining <= 0:
            return False
        setattr(self.faults, name, remaining - 1)
        return True
