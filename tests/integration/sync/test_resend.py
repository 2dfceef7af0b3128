"""Re-send one record now (issue 13): decided as in a run, sent even when unchanged.

Served as in production (``create_app``) against the casavi simulator (in process).
"""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.models import EntityLink, ProtocolEntry
from app.asgi import create_app
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.environment import load_settings
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import SECRET_KEY, point_at_simulator, run_once
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixtures

URL = "/api/v1/systems/test/records/resend"


async def test_one_record_is_sent_again_even_when_unchanged(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    migrated_pg: str,
    ixhaus_key: str,
) -> None:
    await point_at_simulator(sessions, active_test_system, simulator.base_url)
    services = build_services(
        sessions, active_test_system, FakeQueue(), transport=simulator.transport
    )
    try:
        assert (await run_once(services)).status == "succeeded"
    finally:
        await services.aclose()
    async with sessions() as session:
        ticket_key = await session.scalar(
            select(EntityLink.ixhaus_key)
            .where(EntityLink.entity_type == "ticket", EntityLink.state == "sent")
            .order_by(EntityLink.ixhaus_key)
        )
        excluded_key = await session.scalar(
            select(EntityLink.ixhaus_key)
            .where(EntityLink.entity_type == "ticket", EntityLink.state == "excluded")
            .order_by(EntityLink.ixhaus_key)
        )
    assert ticket_key is not None
    assert excluded_key is not None
    number = ticket_key.split(":")[1]
    # Somebody deleted the ticket in casavi: the ledger still says casavi has it, so a run
    # would not send it again. A re-send does.
    assert simulator.state.store.delete("tickets", number)

    settings = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})
    headers = {"X-API-Key": ixhaus_key}

    async def resend(key: str) -> Any:
        return await client.post(URL, json={"entityKey": key}, headers=headers)

    async with AsyncTestClient(create_app(settings, transport=simulator.transport)) as client:
        before = await simulator.write_count()
        response = await resend(ticket_key)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["entityKey"] == ticket_key
        assert body["outcome"] == "sent"
        assert simulator.state.store.get("tickets", number) is not None
        assert await simulator.write_count() > before

        # An unchanged object is written again too (one record, not the whole run).
        before = await simulator.write_count()
        again = await resend("object:1001")
        assert again.json()["outcome"] == "sent"
        assert 1 <= await simulator.write_count() - before <= 2
        # rule L3: the protocol records the re-sends (without a run)
        async with sessions() as session:
            lines = await session.scalar(
                select(func.count()).where(
                    ProtocolEntry.run_id.is_(None),
                    ProtocolEntry.entity_key.in_([ticket_key, "object:1001"]),
                )
            )
        assert lines == 2

        # A record the rules exclude is not sent; the answer says why (rule S1 wording).
        before = await simulator.write_count()
        excluded = (await resend(excluded_key)).json()
        assert excluded["outcome"] == "excluded"
        assert excluded["reasonCode"]
        assert excluded["reasonText"]["de"]
        assert await simulator.write_count() == before

        missing = await resend("ticket:999999")
        assert missing.status_code == 404
        for bad in ("note:1", "document:1"):
            refused = await resend(bad)
            assert refused.status_code == 422, bad
            assert refused.headers["content-type"].startswith("application/problem+json")
        # issue 23 item 4: not a record key at all (NUL was a 500 on PostgreSQL): 400.
        for malformed in ("nonsense", "unit:", "ticket:4\x002", "object:1001\r\n"):
            refused = await resend(malformed)
            assert refused.status_code == 400, malformed
            assert refused.headers["content-type"].startswith("application/problem+json")
