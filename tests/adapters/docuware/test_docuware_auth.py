"""Logon as DocuWare does it (identity-service info -> OpenID configuration -> token), one
logon per client, renewal on 401 under one lock, and credentials that never leak."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.adapters.docuware import (
    DocuwareAuthFailed,
    DocuwareClient,
    DocuwareClientConfig,
    LicencesExhausted,
)
from app.sandbox.docuware import TRUSTED_PASSWORD, TRUSTED_USER
from tests.support.clock import FakeClock
from tests.support.docuware import (
    LARGE_ID,
    MAIN_CABINET,
    ClientFactory,
    Contract,
    DwHandle,
)

INFO = "GET /DocuWare/Platform/Home/IdentityServiceInfo"
OIDC = "GET /DocuWare/Identity/.well-known/openid-configuration"
TOKEN = "POST /DocuWare/Identity/connect/token"


async def test_token_comes_from_the_identity_service_chain(
    dw_client: DocuwareClient, dw_simulator: DwHandle, dw_contract: Contract
) -> None:
    cabinets = await dw_client.cabinets()

    assert [c.name for c in cabinets] == ["Mieterakten", "Kreditoren"]  # the tray is left out
    by_route = (await dw_simulator.stats())["byRoute"]
    assert (by_route[INFO], by_route[OIDC], by_route[TOKEN]) == (1, 1, 1)
    assert dw_client.logons == 1
    assert dw_contract.checked == 4


async def test_trusted_user_grant_acts_as_the_impersonated_user(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    client = make_dw_client(
        username=TRUSTED_USER,
        password=TRUSTED_PASSWORD,
        grant="trusted",
        impersonate_name="hausverwaltung",
    )
    await client.logon()

    sessions = list(dw_simulator.state.sessions.values())
    assert [s.user for s in sessions] == ["hausverwaltung"]


def test_trusted_grant_needs_someone_to_act_as() -> None:
    with pytest.raises(ValueError, match="impersonate_name"):
        DocuwareClientConfig(base_url="https://x", username="u", password="p", grant="trusted")


async def test_one_logon_for_a_whole_run_of_searches_and_downloads(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    for _ in range(3):
        documents = [d async for d in dw_client.search(MAIN_CABINET)]
        for document in documents[:4]:
            async for _chunk in dw_client.download(MAIN_CABINET, document.id):
                pass
        await dw_client.document(MAIN_CABINET, documents[0].id)

    stats = await dw_simulator.stats()
    assert stats["downloads"] == 12
    assert stats["tokenRequests"] == 1
    assert stats["logons"] == 1
    assert dw_client.logons == 1


async def test_expired_token_is_renewed_once_and_the_call_succeeds(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_client.logon()
    await dw_simulator.faults(expire_tokens=True)

    document = await dw_client.document(MAIN_CABINET, 1)

    assert document.id == 1
    assert dw_client.logons == 2
    # Discovery happens once per client; a renewal is only a token request.
    by_route = (await dw_simulator.stats())["byRoute"]
    assert (by_route[INFO], by_route[TOKEN]) == (1, 2)


async def test_twenty_concurrent_calls_on_an_expired_token_renew_it_once(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_client.logon()
    await dw_simulator.faults(expire_tokens=True, latency_ms=20)

    results = await asyncio.gather(*(dw_client.document(MAIN_CABINET, 1) for _ in range(20)))

    assert len(results) == 20
    assert dw_client.logons == 2
    assert (await dw_simulator.stats())["tokenRequests"] == 2


async def test_a_refused_logon_never_shows_the_password(
    make_dw_client: ClientFactory, dw_simulator: DwHandle, caplog: pytest.LogCaptureFixture
) -> None:
    password = "S3cret-Never-Printed!"
    client = make_dw_client(password=password)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(DocuwareAuthFailed) as caught:
        await client.cabinets()

    error = caught.value
    assert error.http_status == 400
    for text in (str(error), repr(error), error.body, caplog.text, repr(client.config)):
        assert password not in text
    assert (await dw_simulator.stats())["tokenRequests"] == 1  # 4xx: never retried


async def test_no_free_licence_is_reported_with_a_wait_and_not_retried(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    await dw_simulator.faults(max_sessions=0)

    with pytest.raises(LicencesExhausted) as caught:
        await dw_client.download(MAIN_CABINET, LARGE_ID).__anext__()

    assert caught.value.retry_after == 120
    assert (await dw_simulator.stats())["tokenRequests"] == 1


async def test_closing_the_client_does_not_log_off(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    # A logoff followed by a logon within two minutes can fail (KBA-36918): keep the session.
    client = make_dw_client()
    await client.logon()
    await client.aclose()

    stats = await dw_simulator.stats()
    assert stats["logoffs"] == 0
    assert stats["liveSessions"] == 1


async def test_a_token_is_renewed_before_it_runs_out_without_a_401(
    make_dw_client: ClientFactory, dw_simulator: DwHandle
) -> None:
    clock = FakeClock()
    dw_client = make_dw_client(clock=clock)
    dw_simulator.state.token_ttl_seconds = 10  # renewed after half of it, not on every call
    await dw_client.document(MAIN_CABINET, 1)
    clock.advance(4.9)
    await dw_client.document(MAIN_CABINET, 2)
    assert dw_client.logons == 1
    clock.advance(0.2)

    await dw_client.document(MAIN_CABINET, 3)

    assert dw_client.logons == 2
    by_route = (await dw_simulator.stats())["byRoute"]
    assert by_route[f"GET /DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Documents/3"] == 1


async def test_tokens_never_reach_the_log(
    dw_client: DocuwareClient, dw_simulator: DwHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await dw_client.logon()
    await dw_simulator.faults(expire_tokens=True, fail_next=1)
    await dw_client.document(MAIN_CABINET, 1)

    tokens = [*dw_simulator.state.sessions]
    assert tokens
    for token in tokens:
        assert token not in caplog.text
        assert token not in repr(dw_client.http.tokens)
