"""Console sessions, one-time links and the sign-in limit, on an injected clock."""

from __future__ import annotations

import datetime as dt

from app.console.sessions import (
    MAX_FAILED_SIGNINS,
    MAX_SESSION_AGE,
    SIGNIN_LINK_TTL,
    SessionStore,
    SignInLimiter,
    SignInLinks,
)

T0 = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_session_ends_after_its_idle_time_and_says_so() -> None:
    clock = Clock()
    store = SessionStore(dt.timedelta(minutes=30), clock)
    session = store.create(key_name="ops")
    clock.now += dt.timedelta(minutes=30)
    assert store.get(session.id) is session  # exactly at the limit: still alive, touched
    clock.now += dt.timedelta(minutes=30, seconds=1)
    assert store.expired(session.id)
    assert store.get(session.id) is None
    assert not store.expired(session.id)  # gone for good


def test_an_active_session_still_ends_at_its_maximum_age() -> None:
    clock = Clock()
    store = SessionStore(dt.timedelta(minutes=30), clock)
    session = store.create(key_name="ops")
    while clock.now - T0 <= MAX_SESSION_AGE:
        clock.now += dt.timedelta(minutes=20)
        alive = store.get(session.id)
    assert alive is None


def test_sessions_are_found_only_by_their_id_and_ended_by_key() -> None:
    store = SessionStore(dt.timedelta(minutes=30))
    mine = store.create(key_name="ops")
    other = store.create(key_name="other")
    assert store.get("forged") is None
    assert store.get(None) is None
    assert mine.csrf_token != other.csrf_token
    store.end_sessions_of("ops")
    assert store.get(mine.id) is None
    assert store.get(other.id) is other


def test_a_sign_in_link_works_once_and_expires() -> None:
    clock = Clock()
    links = SignInLinks(clock)
    token = links.issue("demo")
    assert links.redeem(token) == "demo"
    assert links.redeem(token) is None
    late = links.issue("demo")
    clock.now += SIGNIN_LINK_TTL + dt.timedelta(seconds=1)
    assert links.redeem(late) is None


def test_failed_sign_ins_block_a_client_for_the_window() -> None:
    clock = Clock()
    limiter = SignInLimiter(clock)
    for _ in range(MAX_FAILED_SIGNINS):
        assert not limiter.blocked("10.0.0.1")
        limiter.failed("10.0.0.1")
    assert limiter.blocked("10.0.0.1")
    assert not limiter.blocked("10.0.0.2")
    clock.now += dt.timedelta(minutes=16)
    assert not limiter.blocked("10.0.0.1")
