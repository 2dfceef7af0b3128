"""Server-side console sessions, one-time sign-in links and the sign-in rate limit.

All three live in this process's memory. That is a documented limit, chosen over a table:
a session holds nothing that must survive a restart (signing in again takes one paste), and
no session data (nor a token) ever reaches the database or a backup. With several API
processes behind one address, route the console to one of them (or use sticky sessions);
the JSON API is unaffected.

A session only names the API key it was opened with; every request re-reads that key, so a
revoked key ends its sessions at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.calendar import utcnow

Clock = Callable[[], dt.datetime]

# However active, a session ends after this long (the idle timeout is a setting).
MAX_SESSION_AGE = dt.timedelta(hours=12)
# A one-time sign-in link (``portal-gateway demo``) works once, within this time.
SIGNIN_LINK_TTL = dt.timedelta(minutes=10)
# Failed sign-ins per client before it must wait; the window they are counted in.
MAX_FAILED_SIGNINS = 5
FAILED_SIGNIN_WINDOW = dt.timedelta(minutes=15)
# Anonymous sessions (the sign-in page's CSRF token and language) are capped per process.
MAX_SESSIONS = 10_000


@dataclass
class ConsoleSession:
    id: str
    csrf_token: str
    created_at: dt.datetime
    last_seen: dt.datetime
    language: str = "de"
    key_name: str | None = None  # None until signed in


def _digest(value: str) -> str:
    # Ids and tokens are kept hashed: a memory dump shows no usable cookie or link.
    return hashlib.sha256(value.encode()).hexdigest()


class SessionStore:
    def __init__(self, idle: dt.timedelta, clock: Clock = utcnow) -> None:
        self.idle = idle
        self.clock = clock
        self._sessions: dict[str, ConsoleSession] = {}

    def create(self, *, language: str = "de", key_name: str | None = None) -> ConsoleSession:
        """A new session with a fresh id and CSRF token (also on sign-in: no fixation)."""
        self._prune()
        now = self.clock()
        session = ConsoleSession(
            id=secrets.token_urlsafe(32),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            language=language,
            key_name=key_name,
        )
        self._sessions[_digest(session.id)] = session
        return session

    def get(self, session_id: str | None) -> ConsoleSession | None:
        """The live session for a cookie value, touched; None when unknown or expired."""
        if not session_id:
            return None
        digest = _digest(session_id)
        session = self._sessions.get(digest)
        if session is None:
            return None
        now = self.clock()
        if self._expired(session, now):
            del self._sessions[digest]
            return None
        session.last_seen = now
        return session

    def expired(self, session_id: str | None) -> bool:
        """True when the cookie names a session that timed out (to say so on the sign-in page)."""
        session = self._sessions.get(_digest(session_id)) if session_id else None
        return session is not None and self._expired(session, self.clock())

    def delete(self, session_id: str) -> None:
        self._sessions.pop(_digest(session_id), None)

    def end_sessions_of(self, key_name: str) -> None:
        for digest in [d for d, s in self._sessions.items() if s.key_name == key_name]:
            del self._sessions[digest]

    def _expired(self, session: ConsoleSession, now: dt.datetime) -> bool:
        return now - session.last_seen > self.idle or now - session.created_at > MAX_SESSION_AGE

    def _prune(self) -> None:
        now = self.clock()
        for digest in [d for d, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[digest]
        while len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda d: self._sessions[d].last_seen)
            del self._sessions[oldest]


@dataclass
class _Link:
    key_name: str
    expires_at: dt.datetime


class SignInLinks:
    """One-time sign-in tokens for a named key: the key itself never appears in a URL."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._links: dict[str, _Link] = {}

    def issue(self, key_name: str) -> str:
        token = secrets.token_urlsafe(32)
        self._links[_digest(token)] = _Link(key_name, self.clock() + SIGNIN_LINK_TTL)
        return token

    def redeem(self, token: str) -> str | None:
        """The key name, once; None for an unknown, used or expired token."""
        link = self._links.pop(_digest(token), None)
        if link is None or self.clock() > link.expires_at:
            return None
        return link.key_name


@dataclass
class _Failures:
    times: deque[dt.datetime] = field(default_factory=deque)


class SignInLimiter:
    """At most ``MAX_FAILED_SIGNINS`` failed sign-ins per client within the window."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self.clock = clock
        self._clients: dict[str, _Failures] = {}

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= MAX_FAILED_SIGNINS

    def failed(self, client: str) -> None:
        self._recent(client).append(self.clock())

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    def _recent(self, client: str) -> deque[dt.datetime]:
        entry = self._clients.setdefault(client, _Failures())
        cutoff = self.clock() - FAILED_SIGNIN_WINDOW
        while entry.times and entry.times[0] < cutoff:
            entry.times.popleft()
        return entry.times
