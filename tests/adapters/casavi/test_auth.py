"""Authentication: token header, re-authentication on 401 and expiry, one refresh at a time."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.adapters.casavi import CasaviAuthFailed, CasaviClient, CasaviNotFound
from app.adapters.casavi.wire import PropertyWrite
from app.sandbox.casavi import SANDBOX_SECRET
from tests.support.casavi import ClientFactory, SimHandle


async def test_first_call_authenticates_once_and_sends_the_token(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus am See"))
    assert (await client.properties.get("P-1")).name == "Haus am See"
    assert client.authentications == 1
    assert (await simulator.stats())["authentications"] == 1


async def test_expired_token_is_replaced_once_and_the_call_succeeds(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(expire_tokens=True)
    assert (await client.properties.get("P-1")).id == "P-1"
    assert client.authentications == 2
    assert await simulator.route_count("GET /v2/properties/P-1") == 2  # 401, then 200


async def test_concurrent_calls_on_an_expired_token_reauthenticate_exactly_once(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(expire_tokens=True, latency_ms=50)  # all 20 calls get their 401
    results = await asyncio.gather(*(client.properties.get("P-1") for _ in range(20)))
    assert {r.id for r in results} == {"P-1"}
    assert client.authentications == 2
    assert (await simulator.stats())["authentications"] == 2


async def test_token_near_expiry_is_renewed_before_use(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    simulator.state.token_ttl_seconds = 2  # the token is inside the 5 s refresh margin
    client = make_client(token_refresh_margin_seconds=5)
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await client.properties.get("P-1")
    assert client.authentications == 2
    assert await simulator.route_count("GET /v2/properties/P-1") == 1  # never sent a stale one


async def test_wrong_secret_fails_without_leaking_it(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(secret="wrong-secret-value")
    with pytest.raises(CasaviAuthFailed) as caught:
        await client.properties.get("P-1")
    error = caught.value
    assert (error.method, error.path, error.http_status) == ("POST", "/v2/authenticate", 401)
    for text in (str(error), repr(error), repr(client), repr(client.http.config), caplog.text):
        assert "wrong-secret-value" not in text
        assert SANDBOX_SECRET not in text


async def test_token_never_appears_in_errors_or_logs(
    client: CasaviClient, simulator: SimHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CasaviNotFound) as caught:
        await client.properties.get("missing")
    token = client.http.tokens.secrets[0]
    assert token
    for text in (str(caught.value), repr(caught.value), repr(client.http.tokens), caplog.text):
        assert token not in text
