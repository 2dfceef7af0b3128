"""Deviations from the casavi contract are kept in the gateway's database (issue 18, item
4): every process that reads casavi counts them there, by system, operation, field and
problem - no values - on PostgreSQL and on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.adapters.casavi import deviations
from app.adapters.casavi.deviations import ContractDeviation
from app.adapters.store import migrate
from app.adapters.store.database import create_engine, create_session_factory
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from tests.fakes import FakeQueue


@pytest.fixture(params=["postgresql", "sqlite"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("fresh_pg_database")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    from app.environment import load_settings

    url = load_settings({"DATABASE_URL": url}).database_url
    migrate.upgrade(url)
    return url


async def test_reported_deviations_are_counted_in_the_database(state_url: str) -> None:
    engine = create_engine(state_url)
    services = build_services(create_session_factory(engine), SecretBox(new_key()), FakeQueue())
    try:
        missing = ContractDeviation("test", "getTicket", "subject", "missing")
        typed = ContractDeviation("test", "listTickets", "rating.stars", "expected int, got str")
        for found in (missing, missing, typed):
            deviations.report(found)
        store = services.contract_deviations
        assert store is not None

        async def counted() -> dict[str, int]:
            return await store.by_operation()

        deadline = asyncio.get_running_loop().time() + 10
        while await counted() != {"getTicket": 2, "listTickets": 1}:
            assert asyncio.get_running_loop().time() < deadline, await counted()
            await asyncio.sleep(0.05)
        deviations.report(missing)
    finally:
        await services.aclose()  # the last one is written on close
        deviations.forget()
    services = build_services(create_session_factory(engine), SecretBox(new_key()), FakeQueue())
    try:
        assert services.contract_deviations is not None
        rows = await services.contract_deviations.of_system("test")
        assert {(r.operation, r.field, r.problem, r.times) for r in rows} == {
            ("getTicket", "subject", "missing", 3),
            ("listTickets", "rating.stars", "expected int, got str", 1),
        }
    finally:
        await services.aclose()
        await engine.dispose()
