"""The retry rules, as the casavi client has them: transient failures are retried with
backoff under a deadline, 429 waits for Retry-After, other 4xx are never retried."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from app.adapters.docuware import (
    DocuwareClient,
    DocuwareDeadlineExceeded,
    DocuwareNotFound,
    DocuwareRejected,
    DocuwareUnavailable,
    RetryPolicy,
)
from tests.support.docuware import FAST_RETRY, MAIN_CABINET, ClientFactory, DwHandle

DOCUMENT = f"GET /DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Documents/1"


@dataclass(frozen=True)
class RecordingPolicy(RetryPolicy):
    """FAST_RETRY that remembers the waits it chose (no timing asserts needed)."""

    waits: list[float] = field(default_factory=list)

    def delay_for_status(self, response: httpx.Response, attempt: int) -> float:
        delay = super().delay_for_status(response, attempt)
        self.waits.append(delay)
        return delay


async def test_throttled_request_is_sent_again_after_retry_after(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    policy = RecordingPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)
    client = make_dw_client(retry=policy)
    await client.logon()
    await dw_simulator.faults(throttle_next=1, retry_after_seconds=1, throttle_delay_ms=100)

    document = await client.document(MAIN_CABINET, 1)

    assert document.id == 1
    assert policy.waits == [1.0]  # what Retry-After said, not a backoff guess
    assert await dw_simulator.route_count(DOCUMENT) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_and_overload_statuses_are_retried(
    dw_client: DocuwareClient, dw_simulator: DwHandle, status: int
) -> None:
    await dw_client.logon()
    await dw_simulator.faults(fail_next=2, fail_status=status)

    assert (await dw_client.document(MAIN_CABINET, 1)).id == 1
    assert await dw_simulator.route_count(DOCUMENT) == 3


async def test_dropped_connections_and_read_timeouts_are_retried(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    client = make_dw_client(read_timeout=0.3)
    await client.logon()
    await dw_simulator.faults(drop_next=1, stall_next=1, stall_ms=1500)

    assert (await client.document(MAIN_CABINET, 1)).id == 1
    assert await dw_simulator.route_count(DOCUMENT) == 3


async def test_a_throttled_logon_is_retried_too(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_simulator.faults(throttle_next=1, retry_after_seconds=0)

    await dw_client.logon()

    assert dw_client.logons == 1


async def test_other_client_errors_are_not_retried(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    with pytest.raises(DocuwareNotFound) as caught:
        await dw_client.document(MAIN_CABINET, 999)

    assert caught.value.http_status == 404
    assert "999" in caught.value.body
    assert await dw_simulator.route_count(f"{DOCUMENT[:-1]}999") == 1
    with pytest.raises(DocuwareRejected):
        await dw_client.document("no-such-cabinet", 1)


async def test_retries_run_out_with_a_clear_error(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_client.logon()
    await dw_simulator.faults(fail_next=10, fail_status=503)

    with pytest.raises(DocuwareUnavailable) as caught:
        await dw_client.document(MAIN_CABINET, 1)

    assert "still 503 after 4 tries" in str(caught.value)
    assert await dw_simulator.route_count(DOCUMENT) == FAST_RETRY.max_attempts


async def test_a_wait_past_the_deadline_fails_at_once_with_the_wait(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    client = make_dw_client(deadline_seconds=2.0)
    await client.logon()
    await dw_simulator.faults(throttle_next=1, retry_after_seconds=30)

    with pytest.raises(DocuwareDeadlineExceeded) as caught:
        await client.document(MAIN_CABINET, 1)

    assert caught.value.retry_after == FAST_RETRY.retry_after_cap
    assert await dw_simulator.route_count(DOCUMENT) == 1


async def test_server_errors_other_than_the_transient_ones_are_not_retried(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_client.logon()
    await dw_simulator.faults(fail_next=1, fail_status=500)

    with pytest.raises(DocuwareUnavailable, match="server error"):
        await dw_client.document(MAIN_CABINET, 1)
    assert await dw_simulator.route_count(DOCUMENT) == 1
