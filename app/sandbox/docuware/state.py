"""The DocuWare simulator's runtime state: documents, sessions, fault switches, counters."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import msgspec


class Faults(msgspec.Struct, kw_only=True, rename="camel"):
    """Fault switches, set at runtime with ``PUT /_sandbox/faults`` (counters count down)."""

    latency_ms: int = 0  # added before every contract request
    throttle_next: int = 0  # the next N contract requests get 429 + Retry-After
    retry_after_seconds: int = 1
    throttle_delay_ms: int = 0  # DocuWare answers a throttled request only after ~10 s
    fail_next: int = 0  # the next N contract requests get ``fail_status``
    fail_status: int = 503
    drop_next: int = 0  # the next N contract requests: connection closed, no response
    stall_next: int = 0  # the next N contract requests wait ``stall_ms`` first (timeouts)
    stall_ms: int = 0
    expire_tokens: bool = False  # one-shot: every issued token stops working now
    cut_downloads: int = 0  # the next N downloads break off after ``cut_after_bytes``
    cut_after_bytes: int = 1024 * 1024
    max_sessions: int = 10  # logons beyond this many live tokens are refused (licences)
    relogon_block_seconds: float = 120.0  # KBA-36918: a logon soon after a log-off fails


class WebhookSettings(msgspec.Struct, kw_only=True, rename="camel"):
    url: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class SimDocument:
    """Metadata only: the content is generated on the fly from ``id`` and ``size``."""

    id: int
    cabinet_id: str
    title: str
    size: int
    created: datetime
    fields: dict[str, str | None]
    content_type: str = "application/pdf"
    modified: datetime | None = None  # None: never changed since ``created``


@dataclass(frozen=True)
class SimCabinet:
    id: str
    name: str
    is_basket: bool = False


@dataclass
class Session:
    user: str
    expires_at: float  # time.monotonic()


@dataclass
class Stats:
    requests: int = 0
    token_requests: int = 0
    logons: int = 0
    logoffs: int = 0
    refused_logons: int = 0
    searches: int = 0
    downloads: int = 0
    webhooks_sent: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_route: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "tokenRequests": self.token_requests,
            "logons": self.logons,
            "logoffs": self.logoffs,
            "refusedLogons": self.refused_logons,
            "searches": self.searches,
            "downloads": self.downloads,
            "webhooksSent": self.webhooks_sent,
            "maxInFlight": self.max_in_flight,
            "byRoute": dict(self.by_route),
        }


@dataclass
class DocuwareSim:
    cabinets: list[SimCabinet]
    documents: dict[int, SimDocument]
    users: dict[str, str]  # user name -> password
    trusted_users: dict[str, str]  # trusted application user -> password
    # registered applications (client_credentials): client id -> (secret, user it acts as)
    apps: dict[str, tuple[str, str]]
    organization_id: str
    token_ttl_seconds: float
    page_size: int
    webhook: WebhookSettings
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    sessions: dict[str, Session] = field(default_factory=dict)
    logoffs: dict[str, float] = field(default_factory=dict)  # user -> time.monotonic()

    def take(self, name: str) -> bool:
        """Use up one unit of a counting fault; True if it fired."""
        remaining = int(getattr(self.faults, name))
        if remaining <= 0:
            return False
        setattr(self.faults, name, remaining - 1)
        return True

    def live_sessions(self) -> int:
        now = time.monotonic()
        for token in [t for t, s in self.sessions.items() if s.expires_at <= now]:
            del self.sessions[token]
        return len(self.sessions)

    @property
    def block_seconds(self) -> float:
        return self.faults.relogon_block_seconds

    def licence_refusal(self, user: str) -> str | None:
        """Why a logon of ``user`` cannot book a licence now, or None."""
        logged_off = self.logoffs.get(user)
        recent = logged_off is not None and time.monotonic() - logged_off < self.block_seconds
        if recent:
            return "None of the registered licenses are available."
        if self.live_sessions() >= self.faults.max_sessions:
            return "None of the registered licenses are available."
        return None

    def issue_token(self, user: str) -> str:
        token = secrets.token_urlsafe(32)
        self.sessions[token] = Session(user, time.monotonic() + self.token_ttl_seconds)
        self.stats.logons += 1
        return token

    def session_for(self, token: str) -> Session | None:
        session = self.sessions.get(token)
        if session is None or session.expires_at <= time.monotonic():
            return None
        return session

    def expire_all_tokens(self) -> None:
        self.sessions.clear()
