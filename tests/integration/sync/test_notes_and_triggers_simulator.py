"""Notes iX-Haus -> casavi, echo suppression, the triggers of iX-Haus plus and the S2 reset,
against the casavi simulator (in process) and real PostgreSQL.

Every request the gateway's casavi client sends and every answer it gets is validated
against openapi/casavi.yaml (the ``contract`` fixture fails the test on any violation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.portal import CasaviPortal
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.factories import open_system_adapters
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.ixhaus.writer import IxhausWriter
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine
from app.adapters.store.models import EntityLink
from app.asgi import create_app
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.domain.keys import TicketNumber
from app.domain.records import InboundNote
from app.environment import load_settings, normalise_database_url
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sync.context import AdapterFactory, SystemAdapters, SystemContexts
from app.sync.ports import NoteLink, SystemSettings
from app.sync.services import Services
from app.sync.stores import two_way_of
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import SECRET_KEY, run_once
from tests.support.casavi import (  # noqa: F401 - fixtures
    FAST_RETRY,
    Contract,
    SimHandle,
    contract,
    in_process_simulator,
)

# sandbox edge "open_ticket": transferred; note 1 public, note 2 internal
OPEN_TICKET = TicketNumber(1)
LOCKED_TICKET = 4  # sandbox edge "locked_type" (rule T4)


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@dataclass
class Gateway:
    services: Services
    sim: SimHandle
    casavi: CasaviClient
    ixhaus_url: str
    sessions: async_sessionmaker[AsyncSession]
    adapters: AdapterFactory

    async def messages(self, ticket: int) -> list[Any]:
        return [m async for m in self.casavi.tickets.messages(str(ticket))]

    async def posted_messages(self) -> int:
        """Messages posted over the API (tenants write theirs through the sandbox controls)."""
        routes = (await self.sim.stats())["byRoute"]
        return sum(
            count
            for route, count in routes.items()
            if route.startswith("POST /v2/tickets/") and route.endswith("/messages")
        )

    async def ixhaus(self, stmt: Any) -> Any:
        engine = create_engine(normalise_database_url(self.ixhaus_url))
        try:
            async with engine.begin() as conn:
                return await conn.execute(stmt)
        finally:
            await engine.dispose()

    async def add_note(self, content: str, *, internal: bool = False, author: str = "001") -> int:
        notes = IxhausTables().notes
        result = await self.ixhaus(
            notes.insert()
            .values(
                ticket_no=OPEN_TICKET,
                author_user_no=author,
                created_at=dt.datetime(2026, 6, 20, 8, 15, tzinfo=dt.UTC),
                content=content,
                internal=internal,
                source_ref=None,
            )
            .returning(notes.c.note_id)
        )
        return int(result.scalar_one())

    async def change_subject(self, ticket: int, subject: str) -> None:
        tickets = IxhausTables().tickets
        await self.ixhaus(
            update(tickets).where(tickets.c.ticket_no == ticket).values(subject=subject)
        )

    async def note_state(self, note_id: int) -> tuple[str, str | None]:
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(EntityLink.state, EntityLink.reason_code).where(
                        EntityLink.system == "test", EntityLink.ixhaus_key == f"note:{note_id}"
                    )
                )
            ).one()
        return row[0], row[1]


@pytest.fixture
async def gateway(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    contract: Contract,  # noqa: F811
    ixhaus_url: str,
) -> AsyncIterator[Gateway]:
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
    config = CasaviClientConfig(
        base_url=simulator.base_url, key=SANDBOX_KEY, secret=SANDBOX_SECRET, retry=FAST_RETRY
    )

    async def adapters(settings: SystemSettings) -> SystemAdapters:
        # The real adapters, with every casavi exchange validated against the contract.
        real = await open_system_adapters(settings, transport=simulator.transport)
        client = CasaviClient(config, transport=contract.transport())

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
    casavi = CasaviClient(config, transport=contract.transport())
    try:
        first = await run_once(services)
        assert (first.status, first.errors) == ("succeeded", 0), first.last_error
        yield Gateway(services, simulator, casavi, ixhaus_url, sessions, adapters)
    finally:
        await casavi.aclose()
        await services.aclose()


@pytest.fixture
async def api(gateway: Gateway, migrated_pg: str) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})
    app = create_app(settings)
    # The app's own services (its event loop), with the contract-checked casavi adapters.
    services: Services = app.state.services
    services.contexts = SystemContexts(services.configs, gateway.adapters, services.contexts.stores)
    async with AsyncTestClient(app) as client:
        yield client


async def test_notes_go_out_once_internal_never_and_echoes_stay(gateway: Gateway) -> None:
    # rule N1: public notes of transferred tickets reached casavi with author, time, content
    messages = {m.id: m for m in await gateway.messages(OPEN_TICKET)}
    public = messages["1"]
    assert (public.visibility, public.author_type) == ("public", "staff")
    notes = IxhausTables().notes
    note = (await gateway.ixhaus(select(notes).where(notes.c.note_id == 1))).one()
    assert public.content == note.content
    assert public.written_at == note.created_at.replace(tzinfo=dt.UTC)
    # rule N2: the internal note 2 of the same ticket never crossed
    assert "2" not in messages
    assert await gateway.note_state(2) == ("excluded", "note_internal")
    # The message the gateway posted is linked: the inbound side recognises it (echo).
    link = await two_way_of(gateway.services.stores).note_links.by_casavi_message("test", "1")
    assert link == NoteLink(
        ticket_number="1", ixhaus_note_id="1", casavi_message_id="1", origin="ixhaus"
    )

    # Unchanged notes are never posted again.
    posted = await gateway.posted_messages()
    assert posted > 0
    again = await run_once(gateway.services)
    assert (again.sent, again.errors) == (0, 0)
    assert await gateway.posted_messages() == posted

    # Echo suppression outbound: a tenant's message written into iX-Haus by the inbound side
    # (source_ref = the casavi message id, link origin casavi) is never sent back ...
    contact = await anext(aiter(gateway.casavi.contacts.list()))
    tenant = await gateway.sim.tenant(
        "POST",
        f"/tickets/{OPEN_TICKET}/messages",
        json={"contactId": contact.id, "content": "Danke, bis morgen!"},
    )
    engine = create_engine(normalise_database_url(gateway.ixhaus_url))
    try:
        echoed = await IxhausWriter(engine, "900").insert_note(
            InboundNote(
                source_ref=tenant["id"],
                ticket_no=OPEN_TICKET,
                created_at=dt.datetime.now(dt.UTC),
                content=tenant["content"],
            )
        )
    finally:
        await engine.dispose()
    link = NoteLink(
        ticket_number=str(OPEN_TICKET),
        ixhaus_note_id=str(echoed),
        casavi_message_id=tenant["id"],
        origin="casavi",
    )
    assert await two_way_of(gateway.services.stores).note_links.record("test", link)
    # ... nor is a note linked from casavi without a source_ref.
    linked_only = await gateway.add_note("Vom Portal übernommen")
    assert await two_way_of(gateway.services.stores).note_links.record(
        "test",
        NoteLink(
            ticket_number=str(OPEN_TICKET),
            ixhaus_note_id=str(linked_only),
            casavi_message_id="cv-elsewhere",
            origin="casavi",
        ),
    )
    posted = await gateway.posted_messages()
    third = await run_once(gateway.services)
    assert third.errors == 0
    assert await gateway.posted_messages() == posted
    assert await gateway.note_state(echoed) == ("excluded", "note_from_portal")
    assert await gateway.note_state(linked_only) == ("excluded", "note_from_portal")
    ids = [m.id for m in await gateway.messages(OPEN_TICKET)]
    assert ids.count(tenant["id"]) == 1
    assert str(echoed) not in ids


async def test_a_run_resets_s2_and_moves_the_base_only_for_a_changed_ticket(
    gateway: Gateway,
) -> None:
    # rule S2: both columns reset as soon as staff change the ticket (seen by a run)
    services, number = gateway.services, OPEN_TICKET
    base = await two_way_of(services.stores).conflicts.base("test", number)
    assert base["subject"]  # sent tickets carry the two-way fields as sent
    at = dt.datetime.now(dt.UTC)
    await two_way_of(services.stores).portal_activity.record("test", number, at, "new message")
    await run_once(services)
    view = await services.stores.portal_states.one("test", number)
    assert view is not None
    assert view.last_portal_change == "new message"  # unchanged ticket: kept

    await gateway.change_subject(OPEN_TICKET, "Heizung: Techniker kommt Dienstag")
    changed = await run_once(services)
    assert (changed.sent, changed.errors) == (1, 0)
    view = await services.stores.portal_states.one("test", number)
    assert view is not None
    assert (view.last_portal_change_at, view.last_portal_change) == (None, None)
    base = await two_way_of(services.stores).conflicts.base("test", number)
    assert base["subject"] == "Heizung: Techniker kommt Dienstag"


async def test_triggers_push_a_note_and_a_ticket_now(
    gateway: Gateway,
    api: AsyncTestClient[Any],
    ixhaus_key: str,
    active_test_system: SecretBox,
) -> None:
    headers = {"X-API-Key": ixhaus_key}
    base = f"/api/v1/systems/test/tickets/{OPEN_TICKET}"
    services, number = gateway.services, OPEN_TICKET

    # rule N1: staff write a reply and push it at once; it is in casavi when the call returns.
    reply = await gateway.add_note("Der Techniker kommt morgen um 9 Uhr.")
    await two_way_of(services.stores).portal_activity.record(
        "test", number, dt.datetime.now(dt.UTC), "new message"
    )
    response = await api.post(f"{base}/notes/{reply}/sync", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["outcome"], body["noteId"], body["casaviId"]) == ("sent", str(reply), str(reply))
    message = await gateway.casavi.tickets.get_message(str(number), str(reply))
    assert (message.content, message.visibility) == (
        "Der Techniker kommt morgen um 9 Uhr.",
        "public",
    )
    assert message.author_id == "001"
    assert body["portal"]["lastPortalChange"] is None  # rule S2: a staff reply resets
    posted = await gateway.posted_messages()
    again = await api.post(f"{base}/notes/{reply}/sync", headers=headers)
    assert again.json()["outcome"] == "unchanged"
    assert await gateway.posted_messages() == posted
    assert [m.id for m in await gateway.messages(OPEN_TICKET)].count(str(reply)) == 1

    # rule N2: an internal note is refused with the S1 reason, in German and English.
    internal = await gateway.add_note("Mieter ist schwierig.", internal=True)
    refused = (await api.post(f"{base}/notes/{internal}/sync", headers=headers)).json()
    assert (refused["outcome"], refused["reasonCode"]) == ("not_sent", "note_internal")
    assert refused["reasonText"].startswith("Interne Notiz")
    assert refused["reasonTextEn"] == "Internal note; never sent to casavi."
    assert str(internal) not in [m.id for m in await gateway.messages(OPEN_TICKET)]

    # A ticket staff just changed: sent at once, S2 reset, base moved.
    await gateway.change_subject(OPEN_TICKET, "Heizung repariert")
    await two_way_of(services.stores).portal_activity.record(
        "test", number, dt.datetime.now(dt.UTC), "rating"
    )
    pushed = await api.post(f"{base}/sync", headers=headers)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["outcome"] == "sent"
    assert pushed.json()["portal"]["transferred"] is True  # rule S1
    assert pushed.json()["portal"]["lastPortalChange"] is None  # rule S2
    assert (await gateway.casavi.tickets.get(str(number))).subject == "Heizung repariert"
    assert (await two_way_of(services.stores).conflicts.base("test", number))[
        "subject"
    ] == "Heizung repariert"
    same = (await api.post(f"{base}/sync", headers=headers)).json()
    assert same["outcome"] == "unchanged"

    # rule S1 and rule T4: why a ticket is not transferred.
    locked = (
        await api.post(f"/api/v1/systems/test/tickets/{LOCKED_TICKET}/sync", headers=headers)
    ).json()
    assert (locked["outcome"], locked["reasonCode"]) == ("not_sent", "ticket_type_locked")
    assert locked["reasonText"]
    assert locked["reasonTextEn"]

    # 404 for an unknown ticket or note, or a note of another ticket.
    for path in (
        "/api/v1/systems/test/tickets/999999/sync",
        f"{base}/notes/999999/sync",
        f"/api/v1/systems/test/tickets/{LOCKED_TICKET}/notes/{reply}/sync",
    ):
        missing = await api.post(path, headers=headers)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"].startswith("application/problem+json")

    # The explicit reset (rule S2).
    await two_way_of(services.stores).portal_activity.record(
        "test", number, dt.datetime.now(dt.UTC), "status"
    )
    reset = await api.post(f"{base}/portal-activity/reset", headers=headers)
    assert reset.status_code == 200
    assert (reset.json()["lastPortalChange"], reset.json()["lastPortalChangeAt"]) == (None, None)
    view = await services.stores.portal_states.one("test", number)
    assert view is not None
    assert view.last_portal_change is None
    unknown = await api.post(
        "/api/v1/systems/test/tickets/999999/portal-activity/reset", headers=headers
    )
    assert unknown.status_code == 404

    # 409 for a switched-off system (rule C12).
    async with gateway.sessions() as session:
        await ConfigRows(session, active_test_system).patch("test", {"active": False}, "test")
    off = await api.post(f"{base}/sync", headers=headers)
    assert off.status_code == 409
    assert (await api.post(f"{base}/notes/{reply}/sync", headers=headers)).status_code == 409


async def test_links_are_recorded_in_batches_and_never_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Echo suppression: a note linked from casavi keeps its link; the others become ours.
    from app.adapters.store.note_links import SqlNoteLinks

    links = SqlNoteLinks(sessions)
    casavi = NoteLink(
        ticket_number="7", ixhaus_note_id="70", casavi_message_id="cv-70", origin="casavi"
    )
    assert await links.record("test", casavi)
    ours = [
        NoteLink(ticket_number="7", ixhaus_note_id=n, casavi_message_id=n, origin="ixhaus")
        for n in ("70", "71", "72")
    ]
    stored = await links.record_many("test", ours)
    assert {k: v.origin for k, v in stored.items()} == {
        "70": "casavi",
        "71": "ixhaus",
        "72": "ixhaus",
    }
    assert await links.record_many("test", ours) == stored
    assert await links.by_casavi_message("test", "70") is None
    assert await links.record_many("production", ours[1:2]) == {"71": ours[1]}


async def test_a_run_batch_takes_over_a_record_a_trigger_linked_meanwhile(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # A run loaded the ledger before a trigger sent a new ticket: the run's batch, which
    # believes the ticket new, updates the trigger's row instead of failing the run.
    from app.adapters.store.ledger import SqlLedger
    from app.domain.keys import EntityKind, RecordKey
    from app.sync.ports import Outcome

    ledger = SqlLedger(sessions)
    kind = EntityKind.TICKET
    stale = await ledger.load("test", kind)
    trigger = Outcome(key=RecordKey.ticket(77), state="sent", fingerprint="a", casavi_id="77")
    await ledger.save("test", kind, [trigger], {}, run_id=None)
    run = [
        Outcome(key=RecordKey.ticket(77), state="sent", fingerprint="b", casavi_id="77"),
        Outcome(key=RecordKey.ticket(78), state="excluded", reason_code="ticket_type_locked"),
    ]
    await ledger.save("test", kind, run, stale, run_id=None)
    entries = await ledger.entries("test", [RecordKey.ticket(77), RecordKey.ticket(78)])
    assert entries[RecordKey.ticket(77)].fingerprint == "b"
    assert entries[RecordKey.ticket(78)].state == "excluded"
    assert len(await ledger.load("test", kind)) == 2
