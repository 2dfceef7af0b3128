"""Each fault of the simulator, seen by a plain HTTP client (responses still checked
against the contract)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.support.casavi import SimHandle, token_for


async def test_latency_is_added_to_contract_calls(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(latency_ms=300)
    started = time.monotonic()
    assert (await raw.get("/v2/units", headers=headers)).status_code == 200
    assert time.monotonic() - started >= 0.3


async def test_rate_limit_answers_429_with_retry_after(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(rate_limit_per_second=2)
    statuses = [(await raw.get("/v2/units", headers=headers)) for _ in range(5)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)


async def test_throttle_next_answers_429_with_the_configured_retry_after(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(throttle_next=2, retry_after_seconds=7)
    first = await raw.get("/v2/units", headers=headers)
    second = await raw.get("/v2/units", headers=headers)
    third = await raw.get("/v2/units", headers=headers)
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["Retry-After"] == "7"


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_5xx_bursts(raw: httpx.AsyncClient, simulator: SimHandle, status: int) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(fail_next=2, fail_status=status)
    codes = [(await raw.get("/v2/units", headers=headers)).status_code for _ in range(3)]
    assert codes == [status, status, 200]


async def test_token_expiry_makes_issued_tokens_fail(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    token = await token_for(raw)
    assert (await raw.get("/v2/units", headers={"token": token})).status_code == 200
    await simulator.faults(expire_tokens=True)
    assert (await raw.get("/v2/units", headers={"token": token})).status_code == 401
    fresh = await token_for(raw)
    assert (await raw.get("/v2/units", headers={"token": fresh})).status_code == 200


async def test_short_token_lifetime_expires_by_itself(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    # Long enough for one request on a loaded machine; then the token runs out on its own
    # (waited for, not slept on).
    simulator.state.token_ttl_seconds = 2.0
    token = await token_for(raw)
    assert (await raw.get("/v2/units", headers={"token": token})).status_code == 200
    async with asyncio.timeout(60):
        while (await raw.get("/v2/units", headers={"token": token})).status_code != 401:  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.2)


async def test_created_but_response_lost(raw: httpx.AsyncClient, simulator: SimHandle) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(lose_responses=1)
    with pytest.raises(httpx.TransportError):
        await raw.post("/v2/properties", json={"id": "P-1", "name": "Haus"}, headers=headers)
    stored = await raw.get("/v2/properties/P-1", headers=headers)
    assert stored.status_code == 200  # the write happened although the answer was lost
    again = await raw.post("/v2/properties", json={"id": "P-1", "name": "Haus"}, headers=headers)
    assert again.status_code == 409  # a blind retry would have been refused, not duplicated


async def test_fault_counters_count_down_and_can_be_read(
    raw: httpx.AsyncClient, simulator: SimHandle
) -> None:
    headers = {"token": await token_for(raw)}
    await simulator.faults(fail_next=3)
    await raw.get("/v2/units", headers=headers)
    current = (await simulator.control.get("/_sandbox/faults")).json()
    assert current["failNext"] == 2
    assert current["expireTokens"] is False
