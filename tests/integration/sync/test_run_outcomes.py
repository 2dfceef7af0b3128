"""Honest run outcomes against the casavi simulator in process (issue 13 item 5)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.config_rows import ConfigRows
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import run_once
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixture


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
async def simulator_system(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
) -> SimHandle:
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch(
            "test",
            {
                "casavi": {"baseUrl": simulator.base_url},
                # Documents have a suite of their own; here none are released.
                "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )
    return simulator


async def test_a_casavi_answering_503_fails_the_run_in_seconds_and_the_next_continues(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator_system: SimHandle,
) -> None:
    # The real adapters with their default retry policy: the breaker stops the run after a
    # few calls in a row failed, instead of trying every record.
    services = build_services(
        sessions, active_test_system, FakeQueue(), transport=simulator_system.transport
    )
    try:
        await simulator_system.faults(fail_next=1_000_000, fail_status=503)
        started = time.monotonic()
        down = await run_once(services)
        took = time.monotonic() - started
        requests = (await simulator_system.stats())["requests"]
        assert down.status == "failed"
        assert down.last_error is not None
        assert down.last_error.startswith("casavi unavailable:")
        assert "503" in down.last_error
        assert down.sent == 0
        # A handful of calls (each retried by the client), not one per record.
        assert requests < 60, requests
        print(f"503 everywhere: failed after {took:.1f} s and {requests} requests")

        await simulator_system.faults(fail_next=0)
        up = await run_once(services)
        assert up.status == "succeeded", up.last_error
        assert up.sent > 0
        assert up.errors == 0
    finally:
        await services.aclose()
