"""The real outbound sync against the casavi simulator, served in process.

Every request the gateway's casavi client sends and every answer it gets is validated
against openapi/casavi.yaml (the ``contract`` fixture fails the test on any violation).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.portal import CasaviPortal
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.factories import open_system_adapters
from app.adapters.store.config_rows import ConfigRows
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sync.context import SystemAdapters
from app.sync.ports import SystemSettings
from app.sync.services import Services
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import run_once
from tests.support.casavi import (  # noqa: F401 - fixtures
    FAST_RETRY,
    Contract,
    SimHandle,
    contract,
    in_process_simulator,
)


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def test_sandbox_portfolio_reaches_casavi_and_a_rerun_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    contract: Contract,  # noqa: F811
    ixhaus_url: str,
) -> None:
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch(
            "test",
            {
                "casavi": {"baseUrl": simulator.base_url},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )

    clients: list[CasaviClient] = []

    async def adapters(settings: SystemSettings) -> SystemAdapters:
        # The real adapters, with every casavi exchange validated against the contract.
        real = await open_system_adapters(settings, transport=simulator.transport)
        assert settings.document.casavi.base_url
        assert settings.secrets.casavi_api_key
        assert settings.secrets.casavi_secret
        config = CasaviClientConfig(
            base_url=settings.document.casavi.base_url,
            key=settings.secrets.casavi_api_key,
            secret=settings.secrets.casavi_secret,
            retry=FAST_RETRY,
        )
        client = CasaviClient(config, transport=contract.transport())
        clients.append(client)

        async def close() -> None:
            await client.aclose()
            await real.close()

        return SystemAdapters(
            source=real.source,
            writer=real.writer,
            portal=CasaviPortal(client, settings.config.ticket_user_no),
            close=close,
        )

    services = build_services(sessions, active_test_system, FakeQueue(), adapters=adapters)
    try:
        await _check_runs(services, sessions, simulator, contract, ixhaus_url)
    finally:
        await services.aclose()
    # One casavi client served all three runs (one configuration version).
    assert len(clients) == 1


async def _check_runs(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    simulator: SimHandle,
    contract: Contract,  # noqa: F811
    ixhaus_url: str,
) -> None:
    first = await run_once(services)
    assert first.status == "succeeded", first.last_error
    assert first.errors == 0, await _errors(sessions)
    assert first.sent > 0

    config = CasaviClientConfig(
        base_url=simulator.base_url, key=SANDBOX_KEY, secret=SANDBOX_SECRET, retry=FAST_RETRY
    )
    async with CasaviClient(config, transport=contract.transport()) as client:
        properties = sorted([p.id async for p in client.properties.list()])
        contacts = [c async for c in client.contacts.list()]
        tickets = [t async for t in client.tickets.list()]
        types = {t.id: t async for t in client.ticket_types.list()}
    # rule M4 / rule C3: the enabled objects, by their iX-Haus numbers as reference ids
    assert properties == ["1001", "1002", "1003"]
    assert contacts
    assert all(c.contracts for c in contacts if c.custom_fields.get("portalUser"))  # rule M6
    assert tickets
    # rule T5: house notices go to the bulletin board (the contract has no list of posts)
    assert simulator.state.store.count("posts") > 0
    assert "90" not in types  # rule T4: the lock type is not offered in the portal
    writes_before = await simulator.write_count()

    again = await run_once(services)
    assert again.status == "succeeded", again.last_error
    assert (again.sent, again.errors) == (0, 0)
    assert await simulator.write_count() == writes_before

    # A ticket changed in iX-Haus reaches casavi as a change of that ticket only.
    ticket = next(t for t in tickets if t.closed_at is None)
    await _ixhaus_update(ixhaus_url, ticket.id, "Wasserschaden im Keller")
    changed = await run_once(services)
    assert (changed.sent, changed.errors) == (1, 0), await _errors(sessions)
    async with CasaviClient(config, transport=contract.transport()) as client:
        assert (await client.tickets.get(ticket.id)).subject == "Wasserschaden im Keller"
    assert await simulator.write_count() == writes_before + 1


async def _ixhaus_update(url: str, ticket_no: str, subject: str) -> None:
    from sqlalchemy import update

    from app.adapters.ixhaus.schema import IxhausTables
    from app.adapters.store.database import create_engine
    from app.environment import normalise_database_url

    tickets = IxhausTables().tickets
    engine = create_engine(normalise_database_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(tickets).where(tickets.c.ticket_no == int(ticket_no)).values(subject=subject)
            )
    finally:
        await engine.dispose()


async def _errors(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    from sqlalchemy import select

    from app.adapters.store.models import ProtocolEntry

    async with sessions() as session:
        rows = await session.scalars(
            select(ProtocolEntry).where(ProtocolEntry.outcome == "error").limit(5)
        )
        return [f"{r.entity_key}: {r.message}" for r in rows]
