"""Console sessions in a shared store, the sign-in form's CSRF token, one-time sign-in links
and the sign-in rate limit.

Sessions live in a Litestar store that every API process shares: ``RedisStore`` when
``REDIS_URL`` is set, the gateway's own database otherwise (``DatabaseStore``). So the console
needs no sticky sessions, and a session is found by one key look-up (its id's SHA-256: the
store holds no usable cookie). Nothing is stored before a sign-in succeeds: the sign-in page
protects its form with a signed double-submit token (a cookie and a hidden field carrying the
same HMAC-signed value), not with a session, so anonymous traffic cannot fill the store or
push a signed-in operator out of it.

A session only names the API key it was opened with; every request re-reads that key, so a
revoked key ends its sessions at once, in every process.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore

from app.domain.calendar import utcnow

Clock = Callable[[], dt.datetime]

# However active, a session ends after this long (the idle timeout is a setting).
MAX_SESSION_AGE = dt.timedelta(hours=12)
# A one-time sign-in link (``portal-gateway demo``) works once, within this time.
SIGNIN_LINK_TTL = dt.timedelta(minutes=10)
# A sign-in page's form token is accepted this long after the page was served.
FORM_TOKEN_TTL = dt.timedelta(hours=2)
# Failed sign-ins per client before it must wait; the window they are counted in.
MAX_FAILED_SIGNINS = 5
FAILED_SIGNIN_WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class ConsoleSession:
    id: str
    key_name: str
    csrf_token: str
    created_at: dt.datetime


class _Stored(msgspec.Struct, frozen=True):
    key: str
    csrf: str
    created: dt.datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class SessionStore:
    """Signed-in sessions only: created by a successful sign-in, found by id in O(1)."""

    def __init__(self, store: Store, idle: dt.timedelta, clock: Clock = utcnow) -> None:
        self.store = store
        self.idle = idle
        self.clock = clock

    async def create(self, key_name: str) -> ConsoleSession:
        """A new session with a fresh id and CSRF token (a new id on every sign-in: a planted
        cookie never becomes a signed-in session)."""
        session = ConsoleSession(
            id=secrets.token_urlsafe(32),
            key_name=key_name,
            csrf_token=secrets.token_urlsafe(32),
            created_at=self.clock(),
        )
        data = _Stored(key=key_name, csrf=session.csrf_token, created=session.created_at)
        await self.store.set(
            "session:" + _digest(session.id), msgspec.json.encode(data), expires_in=self.idle
        )
        return session

    async def find(self, session_id: str | None) -> tuple[ConsoleSession | None, bool]:
        """(the live session, touched; or None, and whether the cookie named a session that
        has ended: idle, too old, or signed out elsewhere)."""
        if not session_id:
            return None, False
        key = "session:" + _digest(session_id)
        raw = await self.store.get(key, renew_for=self.idle)
        if raw is None:
            return None, True
        try:
            data = msgspec.json.decode(raw, type=_Stored)
        except msgspec.DecodeError:
            await self.store.delete(key)
            return None, True
        if self.clock() - data.created > MAX_SESSION_AGE:
            await self.store.delete(key)
            return None, True
        return ConsoleSession(session_id, data.key, data.csrf, data.created), False

    async def delete(self, session_id: str) -> None:
        await self.store.delete("session:" + _digest(session_id))


class SignInForms:
    """The sign-in form's CSRF token without a session (a signed double-submit token).

    The token is ``nonce.issued.signature`` (HMAC-SHA256 under a key every API process
    derives from ``GATEWAY_SECRET_KEY``); the page sets it as an HTTP-only cookie and as a
    hidden field, and a POST must bring both, equal, signed and at most two hours old. A
    forged cross-site POST has no such cookie (SameSite=Strict) and cannot read the field.
    """

    def __init__(self, key: bytes, clock: Clock = utcnow) -> None:
        self._key = key
        self.clock = clock

    def issue(self) -> str:
        body = f"{secrets.token_urlsafe(18)}.{int(self.clock().timestamp())}"
        return f"{body}.{self._sign(body)}"

    def valid(self, token: object) -> bool:
        if not isinstance(token, str) or len(token) > 200:
            return False
        body, _, signature = token.rpartition(".")
        issued = body.rpartition(".")[2]
        if not body or not issued.isdigit():
            return False
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return False
        age = self.clock().timestamp() - int(issued)
        return -60 <= age <= FORM_TOKEN_TTL.total_seconds()

    def matches(self, cookie: object, submitted: object) -> bool:
        return (
            isinstance(cookie, str)
            and isinstance(submitted, str)
            and hmac.compare_digest(cookie.encode(), submitted.encode())
            and self.valid(cookie)
        )

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def form_key(secret_key: str | None) -> bytes:
    """The form tokens' signing key: derived from ``GATEWAY_SECRET_KEY`` (the same in every
    API process); without one, random for this process (a single-process set-up)."""
    if not secret_key:
        return secrets.token_bytes(32)
    first = secret_key.split(",")[0].strip().encode()
    return hmac.new(first, b"portal-gateway console sign-in form", hashlib.sha256).digest()


class SignInLinks:
    """One-time sign-in tokens for a named key (in the shared store): the key itself never
    appears in a URL."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def issue(self, key_name: str) -> str:
        token = secrets.token_urlsafe(32)
        await self.store.set(
            "link:" + _digest(token), key_name.encode(), expires_in=SIGNIN_LINK_TTL
        )
        return token

    async def redeem(self, token: str) -> str | None:
        """The key name, once; None for an unknown, used or expired token."""
        name = await take(self.store, "link:" + _digest(token))
        return None if name is None else name.decode()


async def take(store: Store, key: str) -> bytes | None:
    """Read and delete ``key`` in one step where the store can (Redis GETDEL, a DELETE that
    counts its row), so a one-time value is taken once even by concurrent requests."""
    if isinstance(store, RedisStore):
        value: bytes | None = await store._redis.getdel(store._make_key(key))
        return value
    taker = getattr(store, "take", None)
    if taker is not None:
        taken: bytes | None = await taker(key)
        return taken
    value = await store.get(key)
    await store.delete(key)
    return value


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
