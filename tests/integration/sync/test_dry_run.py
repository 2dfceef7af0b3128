"""A dry run (issue 13): the plan of a run now, per record, sending and writing nothing.

The gateway is served as in production (``create_app``) and talks to the casavi simulator
(in process); what the simulator counted and what the gateway's tables hold prove that a
dry run leaves both alone.
"""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine
from app.adapters.store.models import EntityLink, ProtocolEntry, SyncRun, TicketPortalState
from app.asgi import create_app
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.environment import load_settings, normalise_database_url
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import SECRET_KEY, point_at_simulator, run_once
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixtures

URL = "/api/v1/systems/test/sync-runs"


async def _state(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, ...]:
    async with sessions() as session:
        counts = []
        for model in (EntityLink, ProtocolEntry, SyncRun, TicketPortalState):
            counts.append(await session.scalar(select(func.count()).select_from(model)) or 0)
        digests = await session.scalar(
            select(func.count()).where(EntityLink.field_digests.is_not(None))
        )
        return (*counts, digests or 0)


async def _plan(client: AsyncTestClient[Any], key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


async def test_a_dry_run_plans_every_change_and_sends_nothing(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    migrated_pg: str,
    ixhaus_key: str,
    ixhaus_url: str,
) -> None:
    # No document store here: documents are not planned, so none are sent.
    await point_at_simulator(sessions, active_test_system, simulator.base_url)
    settings = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})
    async with AsyncTestClient(create_app(settings, transport=simulator.transport)) as client:
        before = await _state(sessions)
        first = await _plan(client, ixhaus_key, {"dryRun": True})
        # Nothing reached casavi, nothing was written: no ledger row, protocol line or run.
        assert (await simulator.stats())["requests"] == 0
        assert await _state(sessions) == before
        assert first["dryRun"] is True
        assert first["updates"] == first["deletes"] == 0
        creates = [i for i in first["items"] if i["action"] == "create"]
        assert len(creates) == first["creates"] > 0
        assert {i["entityType"] for i in creates} >= {"object", "unit", "person", "ticket"}
        excluded = [i for i in first["items"] if i["action"] == "exclude"]
        assert len(excluded) == first["excludes"] > 0
        assert all(i["reasonCode"] and i["reasonText"]["de"] for i in excluded)
        # Later stages see what earlier ones would create: tickets are planned with the
        # units and persons a real run would have sent first (as in the real run below).

        services = build_services(
            sessions, active_test_system, FakeQueue(), transport=simulator.transport
        )
        try:
            run = await run_once(services)
        finally:
            await services.aclose()
        assert run.status == "succeeded"
        async with sessions() as session:
            sent = {
                (kind, key)
                for kind, key in (
                    await session.execute(
                        select(EntityLink.entity_type, EntityLink.ixhaus_key).where(
                            EntityLink.state == "sent"
                        )
                    )
                ).all()
            }
        # The plan named exactly what the run then created (public notes are not planned).
        notes = {(kind, key) for kind, key in sent if kind == "note"}
        assert {(i["entityType"], i["entityKey"]) for i in creates} == sent - notes
        assert run.sent == len(creates) + len(notes)

        # Change one object's name in iX-Haus: the plan names that record and that field.
        tables = IxhausTables()
        engine = create_engine(normalise_database_url(ixhaus_url))
        try:
            async with engine.begin() as conn:
                object_no = await conn.scalar(
                    select(tables.objects.c.object_no).order_by(tables.objects.c.object_no)
                )
                await conn.execute(
                    update(tables.objects)
                    .where(tables.objects.c.object_no == object_no)
                    .values(name="Umbenannt 1")
                )
        finally:
            await engine.dispose()
        writes, before = await simulator.write_count(), await _state(sessions)
        second = await _plan(client, ixhaus_key, {"dryRun": True, "entities": ["object", "unit"]})
        assert await simulator.write_count() == writes
        assert await _state(sessions) == before
        assert second["entities"] == ["object", "unit"]
        assert (second["creates"], second["updates"], second["deletes"]) == (0, 1, 0)
        assert second["items"] == [
            {
                "entityType": "object",
                "entityKey": f"object:{object_no}",
                "action": "update",
                "fields": ["name"],
                "reasonCode": None,
                "reasonText": None,
            }
        ]
        assert second["unchanged"] > 0

        # Object 1003 leaves the range (rule C3): the plan removes it and its units from
        # casavi, with the reason; nothing is sent or written yet.
        async with sessions() as session:
            await ConfigRows(session, active_test_system).patch(
                "test", {"objects": {"range": [{"from": "1001", "to": "1002"}]}}, "test"
            )
        before = await _state(sessions)
        third = await _plan(client, ixhaus_key, {"dryRun": True, "entities": ["object", "unit"]})
        assert await simulator.write_count() == writes
        assert await _state(sessions) == before
        deletes = [i for i in third["items"] if i["action"] == "delete"]
        assert len(deletes) == third["deletes"] > 1
        assert {"entityType": "object", "entityKey": "object:1003"}.items() <= deletes[0].items()
        assert all(i["entityKey"].startswith(("object:1003", "unit:1003/")) for i in deletes)
        assert all(i["reasonCode"] and i["reasonText"]["en"] for i in deletes)

        # Entities only with a dry run; documents and notes are not planned.
        refused = await client.post(
            URL, json={"entities": ["unit"]}, headers={"X-API-Key": ixhaus_key}
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        unknown = await client.post(
            URL, json={"dryRun": True, "entities": ["document"]}, headers={"X-API-Key": ixhaus_key}
        )
        assert unknown.status_code == 422
        assert "entities" in unknown.text
        assert await _state(sessions) == before
