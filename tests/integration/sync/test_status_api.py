"""What staff see after a run: the protocol per record (rule L3), the portal field (rule S1)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.models import TicketPortalState
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.domain.keys import EntityKind, RecordKey
from app.environment import load_settings
from tests.fakes import FakePortal
from tests.integration.sync.conftest import SECRET_KEY, run_once, services_with


async def test_protocol_and_portal_status_are_served(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    migrated_pg: str,
    ixhaus_key: str,
) -> None:
    portal = FakePortal()
    portal.fail_keys = {RecordKey.of(EntityKind.OBJECT, "1002")}
    services = services_with(sessions, active_test_system, portal)
    try:
        run = await run_once(services)
    finally:
        await services.aclose()
    async with sessions() as session:
        states = (await session.scalars(select(TicketPortalState))).all()
    sent = next(s for s in states if s.transferred)
    locked = next(s for s in states if s.reason_code == "ticket_type_locked")

    settings = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})
    headers = {"X-API-Key": ixhaus_key}
    async with AsyncTestClient(create_app(settings)) as client:
        page = (
            await client.get(f"/api/v1/sync-runs/{run.id}/entries?outcome=error", headers=headers)
        ).json()
        errors = page["items"]
        # rule L3: which record, what failed, why
        assert errors == [
            {
                "id": errors[0]["id"],
                "entityType": "object",
                "entityKey": "object:1002",
                "outcome": "error",
                "reasonCode": None,
                "reasonText": None,
                "message": "RuntimeError: casavi said no",
                "createdAt": errors[0]["createdAt"],
            }
        ]
        assert (page["total"], page["nextCursor"]) == (1, None)
        # rule L1/L3: the protocol is paged with a cursor and a total; filters by entity
        url = f"/api/v1/sync-runs/{run.id}/entries?outcome=excluded&entity=ticket&limit=2"
        first = (await client.get(url, headers=headers)).json()
        assert len(first["items"]) == 2
        assert first["total"] > 2
        assert all(item["entityType"] == "ticket" for item in first["items"])
        # the reason in German and English beside its code (rule S1 wording)
        assert all(item["reasonText"]["de"] and item["reasonText"]["en"] for item in first["items"])
        seen = [item["id"] for item in first["items"]]
        cursor = first["nextCursor"]
        while cursor is not None:
            more = (await client.get(f"{url}&cursor={cursor}", headers=headers)).json()
            seen += [item["id"] for item in more["items"]]
            cursor = more["nextCursor"]
        assert len(seen) == len(set(seen)) == first["total"]
        base = "/api/v1/systems/test/tickets"
        one = await client.get(f"{base}/{sent.ticket_number}/portal-status", headers=headers)
        assert one.status_code == 200
        assert one.json()["transferred"] is True  # rule S1
        assert one.json()["portalStatus"] in ("open", "closed")
        bulk = await client.get(
            f"{base}/portal-status?numbers={sent.ticket_number},{locked.ticket_number},999999",
            headers=headers,
        )
        by_number = {item["ticketNumber"]: item for item in bulk.json()["items"]}
        assert set(by_number) == {sent.ticket_number, locked.ticket_number}
        # rule S1 and rule T4: the reason, in German, for staff
        assert by_number[locked.ticket_number]["transferred"] is False
        assert by_number[locked.ticket_number]["reasonText"]
        assert bulk.json()["unknown"] == ["999999"]
        # iX-Haus plus's own form: repeated parameters; the answer keeps the order asked for
        multi = await client.get(
            f"{base}/portal-status?number=999998&number={locked.ticket_number}"
            f"&number={sent.ticket_number}",
            headers=headers,
        )
        assert multi.status_code == 200
        assert [i["ticketNumber"] for i in multi.json()["items"]] == [
            locked.ticket_number,
            sent.ticket_number,
        ]
        assert multi.json()["unknown"] == ["999998"]
        both = await client.get(f"{base}/portal-status?numbers=1&number=2", headers=headers)
        assert both.status_code == 422
        neither = await client.get(f"{base}/portal-status", headers=headers)
        assert neither.status_code == 422
        letters = await client.get(f"{base}/portal-status?number=1&number=x", headers=headers)
        assert letters.status_code == 400  # the documented item pattern says so
        assert "number" in letters.text
        assert (
            await client.get(f"{base}/999999/portal-status", headers=headers)
        ).status_code == 404
        bad = await client.get(f"{base}/portal-status?numbers=1,x", headers=headers)
        assert bad.status_code == 400  # issue 10 item 8: the documented pattern says so
        assert bad.json()["errors"][0]["field"] == "numbers"
        missing = await client.get("/api/v1/sync-runs/999999/entries", headers=headers)
        assert missing.status_code == 404
