"""The retry policy, the overall deadline and the throttle, against the simulator's faults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from app.adapters.casavi import (
    CasaviClient,
    CasaviClientConfig,
    CasaviDeadlineExceeded,
    CasaviRejected,
    CasaviUnavailable,
)
from app.adapters.casavi.retry import RetryPolicy, parse_retry_after
from app.adapters.casavi.wire import PropertyWrite, UnitWrite
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, ServerThread, create_casavi_simulator
from tests.support.casavi import FAST_RETRY, ClientFactory, SimHandle
from tests.support.clock import FakeClock
from tests.support.parallel import free_port


async def test_429_waits_what_retry_after_says(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    clock = FakeClock()
    client = make_client(clock=clock)
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(throttle_next=1, retry_after_seconds=1)
    assert (await client.properties.get("P-1")).id == "P-1"
    assert clock.slept == [1.0]  # the header's wait, not a backoff guess
    assert await simulator.route_count("GET /v2/properties/P-1") == 2


async def test_real_rate_limit_is_honoured(client: CasaviClient, simulator: SimHandle) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(rate_limit_per_second=3)
    results = await asyncio.gather(*(client.properties.get("P-1") for _ in range(10)))
    assert len(results) == 10
    # At most 3 + 3 pass even across a window boundary: the rest were 429ed and retried.
    assert await simulator.route_count("GET /v2/properties/P-1") > 10


async def test_400_is_not_retried(client: CasaviClient, simulator: SimHandle) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))  # authenticated
    await simulator.faults(fail_next=3, fail_status=400)
    with pytest.raises(CasaviRejected) as caught:
        await client.properties.list().__anext__()
    assert caught.value.http_status == 400
    assert await simulator.route_count("GET /v2/properties") == 1
    assert simulator.state.faults.fail_next == 2  # the other two were never asked for


async def test_422_is_not_retried(client: CasaviClient, simulator: SimHandle) -> None:
    with pytest.raises(CasaviRejected) as caught:
        await client.units.create(UnitWrite(id="U-1", property_id="no-such-property"))
    assert caught.value.http_status == 422
    assert "propertyId" in caught.value.body
    assert await simulator.route_count("POST /v2/units") == 1


async def test_503_burst_is_retried(client: CasaviClient, simulator: SimHandle) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(fail_next=3, fail_status=503)
    assert (await client.properties.get("P-1")).id == "P-1"
    assert await simulator.route_count("GET /v2/properties/P-1") == 4


async def test_5xx_beyond_the_tries_gives_unavailable(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(fail_next=10, fail_status=502)
    with pytest.raises(CasaviUnavailable) as caught:
        await client.properties.get("P-1")
    assert caught.value.http_status == 502
    assert await simulator.route_count("GET /v2/properties/P-1") == FAST_RETRY.max_attempts


class StartsAfterRefusals(httpx.AsyncBaseTransport):
    """Real HTTP; the server is started once ``refusals`` connections were refused."""

    def __init__(self, server: ServerThread, refusals: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._server = server
        self._refusals = refusals
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.ConnectError:
            self.refused += 1
            if self.refused == self._refusals:
                await asyncio.to_thread(self._server.start)  # casavi comes up
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.server  # the simulator on a socket
async def test_connect_errors_are_retried_until_casavi_is_up(tmp_path: Path) -> None:
    port = free_port()
    sim = create_casavi_simulator(tmp_path / "late.db")
    config = CasaviClientConfig(
        base_url=f"http://127.0.0.1:{port}",
        key=SANDBOX_KEY,
        secret=SANDBOX_SECRET,
        retry=RetryPolicy(max_attempts=5),
    )
    thread = ServerThread(sim, port=port)
    transport, clock = StartsAfterRefusals(thread, refusals=3), FakeClock()
    try:
        async with CasaviClient(config, transport=transport, clock=clock) as client:
            created = await client.properties.create(PropertyWrite(id="P-1", name="A"))
        assert created.id == "P-1"
        assert transport.refused == 3  # the first three tries found nobody listening
        assert len(clock.slept) == 3  # and each was followed by a backoff
    finally:
        thread.stop()
        sim.simulator.store.close()


@pytest.mark.server  # a refused connection
async def test_connect_errors_give_unavailable_when_tries_run_out() -> None:
    config = CasaviClientConfig(
        base_url=f"http://127.0.0.1:{free_port()}", key="k", secret="s", retry=FAST_RETRY
    )
    async with CasaviClient(config) as client:
        with pytest.raises(CasaviUnavailable) as caught:
            await client.properties.get("P-1")
    assert "ConnectError after 4 tries" in str(caught.value)


async def test_overall_deadline_cuts_a_slow_call(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    client = make_client(deadline_seconds=0.3)
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(latency_ms=900)
    # Without the deadline the call would succeed after 900 ms (read timeout 30 s).
    with pytest.raises(CasaviDeadlineExceeded, match=r"no result within 0\.3s") as caught:
        await client.properties.get("P-1")
    assert caught.value.path == "/v2/properties/P-1"


async def test_deadline_covers_retries(make_client: ClientFactory, simulator: SimHandle) -> None:
    client = make_client(
        deadline_seconds=0.5, retry=RetryPolicy(max_attempts=100, backoff_base=0.05)
    )
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(fail_next=1000)
    # Without the deadline the tries would run out (CasaviUnavailable after 100 of them).
    with pytest.raises(CasaviDeadlineExceeded):
        await client.properties.get("P-1")
    assert await simulator.route_count("GET /v2/properties/P-1") < 100


async def test_concurrency_is_bounded(make_client: ClientFactory, simulator: SimHandle) -> None:
    bounded, free = make_client(max_concurrency=2), make_client(max_concurrency=10)
    await bounded.properties.create(PropertyWrite(id="P-1", name="A"))
    await free.properties.get("P-1")
    await simulator.faults(latency_ms=50)
    await asyncio.gather(*(bounded.properties.get("P-1") for _ in range(8)))
    assert (await simulator.stats())["maxInFlight"] == 2
    simulator.state.stats.max_in_flight = 0
    await asyncio.gather(*(free.properties.get("P-1") for _ in range(8)))
    assert (await simulator.stats())["maxInFlight"] > 2  # the bound above was the client's


async def test_requests_per_second_paces_calls(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    clock = FakeClock()  # stands still: each start is planned 50 ms after the one before
    client = make_client(requests_per_second=20, clock=clock)
    await client.properties.create(PropertyWrite(id="P-1", name="A"))  # authenticate, create
    await asyncio.gather(*(client.properties.get("P-1") for _ in range(10)))
    assert sorted(clock.slept) == pytest.approx([0.05 * k for k in range(1, 12)])


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    waited = parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT")
    assert waited is not None
    assert waited > 1e6
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_backoff_is_jittered_and_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=4.0)
    delays = [policy.backoff(attempt) for attempt in range(1, 10) for _ in range(20)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100


async def test_retry_after_beyond_the_deadline_fails_fast_with_the_delay(
    make_client: ClientFactory, simulator: SimHandle
) -> None:
    client = make_client(deadline_seconds=0.5)
    await client.properties.create(PropertyWrite(id="P-1", name="A"))
    await simulator.faults(throttle_next=1, retry_after_seconds=30)
    with pytest.raises(CasaviDeadlineExceeded, match="too late") as caught:
        await client.properties.get("P-1")
    assert await simulator.route_count("GET /v2/properties/P-1") == 1  # no wait, no retry
    assert caught.value.http_status == 429
    assert caught.value.retry_after == 5.0  # capped by retry_after_cap of the test policy
