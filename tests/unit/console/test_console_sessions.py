"""Console sessions in a Litestar store, the sign-in form's token, one-time links and the
sign-in limit, on an injected clock."""

from __future__ import annotations

import datetime as dt

from litestar.stores.memory import MemoryStore

from app.console.sessions import (
    FORM_TOKEN_TTL,
    MAX_FAILED_SIGNINS,
    MAX_SESSION_AGE,
    SessionStore,
    SignInForms,
    SignInLimiter,
    SignInLinks,
    form_key,
)

T0 = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_session_is_stored_under_a_digest_of_its_id_only() -> None:
    store = MemoryStore()
    sessions = SessionStore(store, dt.timedelta(minutes=30))
    session = await sessions.create("ops")
    keys = list(store._store)
    assert len(keys) == 1
    assert session.id not in keys[0]
    found, expired = await sessions.find(session.id)
    assert found == session
    assert not expired


async def test_an_active_session_still_ends_at_its_maximum_age() -> None:
    clock = Clock()
    sessions = SessionStore(MemoryStore(), dt.timedelta(minutes=30), clock)
    session = await sessions.create("ops")
    clock.now += MAX_SESSION_AGE - dt.timedelta(minutes=1)
    assert (await sessions.find(session.id))[0] is not None
    clock.now += dt.timedelta(minutes=2)
    assert await sessions.find(session.id) == (None, True)
    assert await sessions.find(session.id) == (None, True)  # gone from the store


async def test_unknown_forged_and_missing_cookies_find_no_session() -> None:
    sessions = SessionStore(MemoryStore(), dt.timedelta(minutes=30))
    mine = await sessions.create("ops")
    other = await sessions.create("other")
    assert await sessions.find("forged") == (None, True)
    assert await sessions.find(None) == (None, False)
    assert mine.csrf_token != other.csrf_token
    await sessions.delete(mine.id)
    assert (await sessions.find(mine.id))[0] is None
    assert (await sessions.find(other.id))[0] == other


def test_a_form_token_is_signed_kept_for_two_hours_and_bound_to_its_key() -> None:
    clock = Clock()
    forms = SignInForms(form_key("k1"), clock)
    token = forms.issue()
    assert forms.matches(token, token)
    assert not forms.matches(token, forms.issue())  # cookie and field must be equal
    assert not forms.matches(None, token)
    body, _, _ = token.rpartition(".")
    assert not forms.valid(body + ".forged")
    # Another process with the same GATEWAY_SECRET_KEY accepts it; another key does not.
    assert SignInForms(form_key("k1"), clock).valid(token)
    assert not SignInForms(form_key("k2"), clock).valid(token)
    clock.now += FORM_TOKEN_TTL + dt.timedelta(seconds=1)
    assert not forms.valid(token)


async def test_a_sign_in_link_works_once() -> None:
    links = SignInLinks(MemoryStore())
    token = await links.issue("demo")
    assert await links.redeem(token) == "demo"
    assert await links.redeem(token) is None
    assert await links.redeem("forged") is None


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
