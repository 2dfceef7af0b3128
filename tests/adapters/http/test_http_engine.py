"""The HTTP engine on its own: one token renewal for many 401s, waits taken from Retry-After
and the backoff (on an injected clock, never the wall), the deadline, transport failures,
pacing and logs without secrets or personal data."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator
from typing import Any

import httpx
import pytest

from app.adapters.http.engine import verified_tls
from app.adapters.http.errors import DeadlineExceeded, OutcomeUnknown, Unavailable
from app.adapters.http.settings import HttpClientConfig
from tests.support.clock import FakeClock
from tests.support.http_example import (
    CREDENTIAL,
    TOKEN_LIFETIME,
    EngineFactory,
    ExampleAuthFailed,
    ExampleHttp,
    ExampleNotFound,
    ExampleUnavailable,
    Handler,
    Server,
)


async def test_concurrent_401s_renew_the_token_once(
    make_engine: EngineFactory, server: Server
) -> None:
    engine = make_engine(max_concurrency=20)
    await engine.tokens.current()
    server.valid.clear()  # t1 is revoked: every call below gets its 401
    server.stale = asyncio.Barrier(20)  # all 20 hold the old token before anyone renews it

    responses = await asyncio.gather(*(engine.request("GET", "/things") for _ in range(20)))

    assert {r.status_code for r in responses} == {200}
    assert engine.tokens.obtained == 2  # the first token and exactly one renewal
    assert server.calls_to("/token") == 2
    assert server.calls_to("/things") == 40  # each call: 401 with t1, 200 with t2


async def test_a_token_is_renewed_when_its_time_is_up_without_a_401(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    engine = make_engine()
    await engine.request("GET", "/things")
    clock.advance(TOKEN_LIFETIME - 1)
    await engine.request("GET", "/things")
    assert engine.tokens.obtained == 1
    clock.advance(2)

    await engine.request("GET", "/things")

    assert engine.tokens.obtained == 2
    assert server.calls_to("/things") == 3  # no 401 was needed to notice


async def test_a_second_401_after_the_renewal_is_a_refusal(
    make_engine: EngineFactory, server: Server
) -> None:
    async def always_401(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, text="not for you")

    server.respond = always_401
    engine = make_engine()

    with pytest.raises(ExampleAuthFailed, match="Example refused authentication"):
        await engine.request("GET", "/things")

    assert engine.tokens.obtained == 2  # one renewal per call, not a loop
    assert server.calls_to("/things") == 2


def _answers(*responses: httpx.Response) -> Handler:
    queue = list(responses)

    async def respond(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if queue else httpx.Response(200, json={"ok": True})

    return respond


async def test_retry_after_is_waited_exactly(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    server.respond = _answers(httpx.Response(429, headers={"Retry-After": "7"}))
    engine = make_engine()

    response = await engine.request("GET", "/things")

    assert response.status_code == 200
    assert clock.slept == [7.0]  # what the server said, not a backoff guess
    assert server.calls_to("/things") == 2


async def test_a_retry_after_date_far_ahead_waits_the_cap(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    far = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    server.respond = _answers(far)
    engine = make_engine()

    await engine.request("GET", "/things")

    assert clock.slept == [engine.config.retry.retry_after_cap]


async def test_overload_is_retried_with_jittered_capped_backoff(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    server.respond = _answers(*(httpx.Response(status) for status in (503, 502, 504)))
    engine = make_engine()

    await engine.request("GET", "/things")

    policy = engine.config.retry
    assert len(clock.slept) == 3
    for attempt, waited in enumerate(clock.slept, start=1):
        assert 0.0 <= waited <= min(policy.backoff_cap, policy.backoff_base * 2 ** (attempt - 1))


async def test_a_wait_past_the_deadline_fails_at_once_with_the_wait(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    server.respond = _answers(httpx.Response(429, headers={"Retry-After": "30"}))
    engine = make_engine(deadline_seconds=10.0)

    with pytest.raises(DeadlineExceeded) as caught:
        await engine.request("GET", "/things")

    assert caught.value.retry_after == 30.0
    assert caught.value.http_status == 429
    assert "too late" in str(caught.value)
    assert clock.slept == []
    assert server.calls_to("/things") == 1


async def test_retries_run_out_with_the_last_status(
    make_engine: EngineFactory, server: Server
) -> None:
    server.respond = _answers(*(httpx.Response(503) for _ in range(10)))
    engine = make_engine()

    with pytest.raises(ExampleUnavailable) as caught:
        await engine.request("GET", "/things")

    assert "still 503 after 4 tries" in str(caught.value)
    assert server.calls_to("/things") == 4


async def test_refused_connections_are_retried_then_reported(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    engine = make_engine()
    engine._client._transport = httpx.MockTransport(refuse)

    with pytest.raises(Unavailable) as caught:
        await engine.request("GET", "/things")

    assert "ConnectError after 4 tries" in str(caught.value)
    assert len(clock.slept) == 3  # a backoff between tries, none after the last


async def test_a_create_whose_answer_was_lost_is_not_sent_again(
    make_engine: EngineFactory, server: Server, clock: FakeClock
) -> None:
    engine = make_engine()
    await engine.tokens.current()
    sent: list[str] = []

    async def lose_the_answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        raise httpx.ReadError("connection reset", request=request)

    engine._client._transport = httpx.MockTransport(lose_the_answer)

    with pytest.raises(OutcomeUnknown):
        await engine.request("POST", "/things", json=b"{}", idempotent=False)

    assert sent == ["/things"]  # the caller looks it up; a blind retry could duplicate it
    assert clock.slept == []


async def test_a_gateway_error_on_a_create_is_an_unknown_outcome(
    make_engine: EngineFactory, server: Server
) -> None:
    server.respond = _answers(httpx.Response(502))
    engine = make_engine()

    with pytest.raises(OutcomeUnknown):
        await engine.request("POST", "/things", json=b"{}", idempotent=False)
    assert server.calls_to("/things") == 1


async def test_requests_per_second_spaces_the_starts(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    engine = make_engine(requests_per_second=20, max_concurrency=10)
    await engine.tokens.current()  # the token request is the first start

    await asyncio.gather(*(engine.request("GET", "/things") for _ in range(4)))

    # Nothing moved the clock: each start waits 50 ms longer than the one before it.
    assert sorted(clock.slept) == pytest.approx([0.05, 0.10, 0.15, 0.20])


async def test_logs_name_the_call_but_no_secret_query_or_body(
    make_engine: EngineFactory, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async def echo_back(request: httpx.Request) -> httpx.Response:
        leaked = f"{request.headers['X-Token']} {CREDENTIAL} {request.url.query.decode()}"
        return httpx.Response(404, text=f"no such thing: {leaked}")

    server.respond = echo_back
    engine = make_engine()
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ExampleNotFound) as caught:
        await engine.request("GET", "/things/7", params={"tenant": "Erika Mustermann"})

    logged = [r.getMessage() for r in caplog.records if r.name == engine.log.name]
    assert logged == ["Example POST /token -> 200 (try 1)", "Example GET /things/7 -> 404 (try 1)"]
    error = caught.value
    # The body is kept for the caller, with the token and the credential blanked out.
    assert error.body == "no such thing: *** *** tenant=Erika+Mustermann"
    for text in (caplog.text, str(error), repr(error), repr(engine.tokens)):
        assert CREDENTIAL not in text
        assert "t1" not in text
        assert "Mustermann" not in text


async def test_engines_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    # Building a TLS context loads the CA bundle; every run opens its clients anew.
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    verified_tls.cache_clear()
    engines = [ExampleHttp(HttpClientConfig(base_url="https://example.test")) for _ in range(3)]
    for engine in engines:
        await engine.aclose()

    assert len(built) == 1
    assert built[0].verify_mode is ssl.CERT_REQUIRED
    assert built[0].check_hostname


async def test_a_body_cut_short_is_closed_with_the_try(
    make_engine: EngineFactory, clock: FakeClock
) -> None:
    # A run stopped mid-upload (its time limit, a lost connection) left the body where httpx
    # stopped reading it: the file under it stayed open until the garbage collector came by.
    opened: list[int] = []
    closed: list[int] = []

    def body() -> AsyncGenerator[bytes, None]:
        async def chunks() -> AsyncGenerator[bytes, None]:
            opened.append(len(opened))
            try:
                for _ in range(10):
                    yield b"x" * 1024
            finally:
                closed.append(len(closed))

        return chunks()

    class ReadALittle(httpx.AsyncBaseTransport):  # MockTransport reads every body first
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            stream = request.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            async for _ in stream:
                raise httpx.WriteError("connection reset mid-body", request=request)
            raise AssertionError("the body was empty")

    engine = make_engine()
    await engine.tokens.current()
    engine._client._transport = ReadALittle()

    with pytest.raises(OutcomeUnknown):
        await engine.request("POST", "/things", body=body, idempotent=False)
    assert opened == [0]
    assert closed == [0]  # at once, not whenever the collector finds it
