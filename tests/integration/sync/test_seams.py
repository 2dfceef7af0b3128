"""Where the halves meet, against the casavi simulator (in process), counting casavi's writes:

- **a run stopped in any stage** - killed (nothing after the kill reaches the gateway's
  database: the last second's outcomes are lost) or stopped by its time limit - and
  continued: no record is created twice, none deleted, and no create is sent blind for a
  record casavi may hold (no 409); the next run writes nothing;
- **children never pay for their parents' failures**: while a property, a unit or a ticket
  fails in casavi, its units, documents, contacts (contracts), messages and attachments are
  neither deleted nor created - they wait, and follow once the parent is there;
- **the gateway's state lost beside a full casavi**: a run over an empty ledger adopts what
  casavi holds - the tenant's own ticket by the ``source_ref`` iX-Haus keeps - and creates,
  deletes and uploads nothing.

The small sandbox portfolio with its document files; documents go in every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.adapters.factories import ixhaus_engine, ixhaus_tables, open_system_adapters
from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.models import (
    EntityLink,
    FieldConflict,
    InboundCursor,
    InboxEvent,
    NoteLink,
    ProtocolEntry,
    SyncRun,
    TicketFieldBase,
    TicketPortalState,
)
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalDocument
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.ixhaus.files import write_document_files
from app.sync.context import SystemAdapters
from app.sync.inbound.poll import poll_system
from app.sync.inbound.process import process_ticket
from app.sync.policy import RunPolicy
from app.sync.ports import (
    DocumentContents,
    DocumentPortal,
    Ledger,
    Portal,
    PortalRecord,
    PortalWrite,
    Presence,
    SyncRunInfo,
    SystemSettings,
)
from app.sync.runs import execute_run
from app.sync.services import Services
from app.sync.stores import two_way_of
from tests.fakes import FakeQueue
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixture

pytestmark = pytest.mark.fault


class Killed(BaseException):
    """The process died here (not an error a run could record)."""


class Stop:
    """Where a run stops: after ``after`` writes of ``kind`` reached casavi. ``kill``: as a
    SIGKILL - nothing more reaches the gateway's database; else a time limit (the job is
    cancelled and records what casavi holds)."""

    def __init__(self, kind: EntityKind | None = None, after: int = 1, kill: bool = True) -> None:
        self.kind, self.after, self.kill = kind, after, kill
        self.count = 0
        self.fired = False
        self.task: asyncio.Task[Any] | None = None

    def written(self, key: RecordKey) -> None:
        if self.kind is None or key.kind is not self.kind or self.fired:
            return
        self.count += 1
        if self.count >= self.after:
            self.fired = True
            if self.kill:
                raise Killed(key.ledger_key)
            assert self.task is not None
            self.task.cancel()

    def check(self) -> None:
        if self.fired and self.kill:
            raise Killed("the process is gone")

    def clear(self) -> None:
        """A new process: nothing stops it."""
        self.kind, self.fired = None, False


class StoppingPortal:
    def __init__(self, real: Portal, stop: Stop) -> None:
        self._real, self._stop = real, stop

    def prepare(self, key: RecordKey, record: PortalRecord, ids: IdentityMap) -> PortalWrite:
        write = self._real.prepare(key, record, ids)

        async def stopping(presence: Presence) -> str:
            self._stop.check()
            casavi_id = await write(presence)
            self._stop.written(key)
            return casavi_id

        return stopping

    async def remove(self, key: RecordKey, *, ids: IdentityMap) -> None:
        self._stop.check()
        await self._real.remove(key, ids=ids)

    async def verify(self) -> None:
        await self._real.verify()

    async def is_empty(self) -> bool:
        return await self._real.is_empty()


class StoppingDocuments:
    def __init__(self, real: DocumentPortal, stop: Stop) -> None:
        self._real, self._stop = real, stop

    def prepare_document(
        self,
        key: RecordKey,
        record: PortalDocument,
        contents: DocumentContents,
        ids: IdentityMap,
    ) -> PortalWrite:
        write = self._real.prepare_document(key, record, contents, ids)

        async def stopping(presence: Presence) -> str:
            self._stop.check()
            casavi_id = await write(presence)
            self._stop.written(key)
            return casavi_id

        return stopping

    async def remove_document(self, key: RecordKey, *, ids: IdentityMap) -> None:
        self._stop.check()
        await self._real.remove_document(key, ids=ids)


class StoppingLedger:
    """After a kill nothing reaches the gateway's database."""

    def __init__(self, real: Ledger, stop: Stop) -> None:
        self._real, self._stop = real, stop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        self._stop.check()
        await self._real.save(*args, **kwargs)


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture(scope="module")
def document_root(ixhaus_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seam-documents")

    async def write() -> None:
        engine = ixhaus_engine(ixhaus_url)
        try:
            await write_document_files(
                root, IxhausReader(engine, ixhaus_tables(None, "ixp_", {})).documents()
            )
        finally:
            await engine.dispose()

    asyncio.run(write())
    return root


class World:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        sim: SimHandle,
        ixhaus: AsyncEngine,
    ) -> None:
        self.sessions, self.box, self.sim, self.ixhaus = sessions, box, sim, ixhaus
        self.stop = Stop()
        self.services = self._services()

    def _services(self) -> Services:
        stop, sim = self.stop, self.sim

        async def adapters(settings: SystemSettings) -> SystemAdapters:
            real = await open_system_adapters(settings, transport=sim.transport)
            assert real.documents is not None
            return SystemAdapters(
                source=real.source,
                writer=real.writer,
                portal=StoppingPortal(real.portal, stop),
                close=real.close,
                documents=StoppingDocuments(real.documents, stop),
                contents=real.contents,
                casavi=real.casavi,
            )

        # A continuation takes over at once (the killed job's heartbeat is silent).
        policy = RunPolicy(stale_seconds=0)
        services = build_services(
            self.sessions, self.box, FakeQueue(), adapters=adapters, policy=policy
        )
        # The run writes through its context's stores: the ledger there is the stopping one.
        stores = services.contexts.stores
        ledger = StoppingLedger(stores.ledger, stop)
        services.contexts.stores = dataclasses.replace(stores, ledger=ledger)
        return services

    async def run(self, run_id: int | None = None) -> SyncRunInfo:
        """A run (or the continuation of ``run_id``), executed as its job would; a stop
        leaves it unfinished."""
        if run_id is None:
            run, _ = await self.services.runs.request("test", trigger="test", requested_by="t")
            run_id = run.id
        job = asyncio.create_task(execute_run(self.services, run_id))
        self.stop.task = job
        with contextlib.suppress(Killed, asyncio.CancelledError):
            await job
        done = await self.services.runs.get(run_id)
        assert done is not None
        return done

    async def writes(self, *prefixes: str) -> int:
        """casavi's write requests whose route starts with one of ``prefixes``."""
        by_route: dict[str, int] = (await self.sim.stats())["byRoute"]
        return sum(
            n
            for route, n in by_route.items()
            if route.split(" ")[0] != "GET" and route.startswith(prefixes)
        )

    async def protocol(self, run_id: int) -> list[tuple[str, str]]:
        page = await self.services.runs.entries(
            run_id, outcome=None, entity=None, after=0, limit=500
        )
        return [(line.key.ledger_key, line.outcome) for line in page.lines] if page else []

    async def answers(self, status: str) -> int:
        return int((await self.sim.stats())["byStatus"].get(status, 0))

    async def ixhaus_write(self, statement: Any) -> None:
        async with self.ixhaus.begin() as conn:
            await conn.execute(statement)


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    document_root: Path,
    ixhaus_url: str,
) -> AsyncIterator[World]:
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch(
            "test",
            {
                "casavi": {"baseUrl": simulator.base_url},
                "ixhaus": {"documentRoot": str(document_root)},
                # Every object of the sandbox, and the new one a test adds (1099).
                "objects": {"range": [{"from": "1001", "to": "1099"}]},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )
    ixhaus = ixhaus_engine(ixhaus_url)
    built = World(sessions, active_test_system, simulator, ixhaus)
    try:
        yield built
    finally:
        await built.services.aclose()
        await ixhaus.dispose()


def creates_and_held(sim: SimHandle) -> tuple[int, int]:
    """(successful creates ever, records held): equal means nothing was created twice, nor
    deleted and created again (the store numbers only the creates that succeeded)."""
    db = sqlite3.connect(sim.state.store.path)
    try:
        seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
        held = db.execute("SELECT COUNT(*) FROM records").fetchone()
    finally:
        db.close()
    return (int(seq[0]) if seq else 0), int(held[0])


STAGES: Sequence[EntityKind] = (
    EntityKind.OBJECT,
    EntityKind.UNIT,
    EntityKind.PERSON,
    EntityKind.OWNER,
    EntityKind.CARETAKER,
    EntityKind.TEAM,
    EntityKind.OBJECT_ROLE,
    EntityKind.USER,
    EntityKind.TICKET_TYPE,
    EntityKind.TICKET_STATUS,
    EntityKind.TICKET_PRIORITY,
    EntityKind.TICKET,
    EntityKind.WORK_ORDER_NOTE,
    EntityKind.NOTE,
    EntityKind.DOCUMENT,
)


@pytest.mark.parametrize(
    ("kind", "kill"),
    [(kind, True) for kind in STAGES]
    + [(kind, False) for kind in (EntityKind.UNIT, EntityKind.TICKET, EntityKind.DOCUMENT)],
    ids=[f"kill-{k.value}" for k in STAGES]
    + [f"time-limit-{k}" for k in ("unit", "ticket", "document")],
)
async def test_a_run_stopped_in_any_stage_is_continued_without_a_blind_create(
    world: World, kind: EntityKind, kill: bool
) -> None:
    world.stop.kind, world.stop.kill = kind, kill
    world.stop.after = 2 if kind is not EntityKind.OBJECT else 1
    stopped = await world.run()
    assert world.stop.fired, f"the run never wrote a {kind.value}"
    assert stopped.status in ("queued", "running")  # not lost, not falsely finished
    conflicts_before = await world.answers("POST 409")

    world.stop.clear()  # the next job works to the end
    done = await world.run(stopped.id)
    assert (done.status, done.errors, done.waiting) == ("succeeded", 0, 0), done.last_error
    creates, held = creates_and_held(world.sim)
    assert creates == held  # no record created twice, none deleted and created again
    assert await world.writes("DELETE") == 0
    # Every record the stopped job may have created was looked up, not created blind.
    assert await world.answers("POST 409") == conflicts_before == 0
    # The run's counts are its protocol's, whichever job wrote the lines.
    lines = await world.services.runs.totals(done.id)
    assert (done.sent, done.excluded, done.errors) == (lines.sent, lines.excluded, lines.errors)

    writes = await world.writes("")
    again = await world.run()
    assert (again.status, again.sent, again.errors) == ("succeeded", 0, 0), (
        done,
        again,
        [line for line in await world.protocol(again.id) if line[1] != "excluded"],
    )
    assert await world.writes("") == writes


async def test_children_wait_while_their_parent_fails_then_follow(world: World) -> None:
    # rules M4/M5, D1, D6, N1: property -> units, documents; unit -> contracts;
    # ticket -> messages, attachments
    first = await world.run()
    assert first.status == "succeeded", first.last_error
    documents = await world.writes("POST /v2/documents")
    assert documents > 0

    # 1. An update of a property casavi holds fails: its units and documents stay as they
    #    are (before: the documents were deleted and uploaded again).
    objects = world_table(world, "objects")
    await world.ixhaus_write(
        objects.update().where(objects.c.object_no == "1001").values(name="Haus (umbenannt)")
    )
    await world.sim.faults(fail_routes=["PUT /v2/properties/1001"])
    down = await world.run()
    assert (down.status, down.errors) == ("partial", 1)
    assert await world.writes("DELETE") == 0
    assert await world.writes("POST /v2/documents") == documents
    assert await world.writes("POST /v2/units", "PUT /v2/units") == await units_written(world)

    # 2. New records under parents whose creation fails: a new property with a unit and a
    #    document, a new unit with a tenant's contract, a new ticket with a public note and
    #    an attachment. None of the children is written; they wait.
    await new_family(world)
    await world.sim.faults(
        fail_routes=["POST /v2/properties", "POST /v2/units", "POST /v2/tickets"]
    )
    before = {
        route: await world.writes(route) for route in ("PUT /v2/contacts", "POST /v2/documents")
    }
    messages = await world.writes("POST /v2/tickets/")
    waiting = await world.run()
    assert waiting.status == "partial"
    assert waiting.waiting >= 4  # the unit, the contract's contact, the note, the documents
    for route, count in before.items():
        assert await world.writes(route) == count, route
    store = world.sim.state.store
    assert store.get("units", "1099.01") is None  # its property failed: not even tried
    assert await world.writes("POST /v2/tickets/") == messages  # no message, no attachment
    assert await world.writes("DELETE") == 0

    # 3. casavi takes the parents again: the children follow, each written once.
    await world.sim.faults(fail_routes=[])
    healed = await world.run()
    assert (healed.status, healed.errors, healed.waiting) == ("succeeded", 0, 0), healed.last_error
    assert store.get("units", "1099.01") is not None
    assert store.get("documents", str(NEW_DOCUMENT)) is not None
    assert store.get("messages", str(NEW_NOTE), parent=str(NEW_TICKET)) is not None
    creates, held = creates_and_held(world.sim)
    assert creates == held
    assert await world.writes("DELETE") == 0


async def test_an_empty_gateway_database_beside_a_full_casavi_adopts_everything(
    world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # A tenant's ticket born in casavi, in iX-Haus (source_ref) and answered by staff.
    await poll_system(world.services, "test", force=True)  # the cursor: "from now on"
    first = await world.run()
    assert first.status == "succeeded", first.last_error
    contact = next(c for c in world.sim.state.store.all("contacts") if c.get("contracts"))
    renter = next(c for c in contact["contracts"] if c["type"] == "RENTER")
    types = [t for t in world.sim.state.store.all("ticket-types") if t.get("tenantCreatable")]
    opened = await world.sim.tenant(
        "POST",
        "/tickets",
        json={
            "contactId": contact["id"],
            "propertyId": renter["propertyId"],
            "unitId": renter["unitId"],
            "ticketTypeId": types[0]["id"],
            "subject": "Fenster undicht",
        },
    )
    await poll_system(world.services, "test", force=True)
    await process_ticket(world.services, "test", opened["id"])
    tickets = world_table(world, "tickets")
    async with world.ixhaus.connect() as conn:
        number = await conn.scalar(
            select(tickets.c.ticket_no).where(tickets.c.source_ref == opened["id"])
        )
    assert number is not None
    notes = world_table(world, "notes")
    await world.ixhaus_write(
        insert(notes).values(
            ticket_no=number, created_at=datetime.now(UTC), content="Wir kommen.", internal=False
        )
    )
    answered = await world.run()
    assert answered.status == "succeeded", answered.last_error
    seen = await world.sim.tenant("GET", f"/tickets/{opened['id']}")
    assert [m["content"] for m in seen["messages"]] == ["Wir kommen."]

    # The gateway's database is lost: every state table emptied (the configuration is
    # entered again by the operator; here it stays).
    async with sessions() as session:
        for model in (
            ProtocolEntry,
            SyncRun,
            EntityLink,
            TicketPortalState,
            NoteLink,
            TicketFieldBase,
            FieldConflict,
            InboxEvent,
            InboundCursor,
        ):
            await session.execute(delete(model))
        await session.commit()
    creates, held = creates_and_held(world.sim)
    writes = {verb: await world.writes(verb) for verb in ("POST", "DELETE")}
    uploads = await world.writes("POST /v2/documents")

    rebuilt = await world.run()
    assert (rebuilt.status, rebuilt.errors) == ("succeeded", 0), rebuilt.last_error
    assert creates_and_held(world.sim) == (creates, held)  # 0 duplicates
    assert await world.writes("POST") == writes["POST"]  # nothing created, nothing re-posted
    assert await world.writes("DELETE") == writes["DELETE"]
    assert await world.writes("POST /v2/documents") == uploads  # 0 re-uploads
    assert world.sim.state.store.get("tickets", str(number)) is None  # no second ticket
    seen = await world.sim.tenant("GET", f"/tickets/{opened['id']}")
    assert [m["content"] for m in seen["messages"]] == ["Wir kommen."]
    # The map is whole again: the tenant's ticket is known by casavi's id.
    entry = await two_way_of(world.services.stores).links.entry("test", RecordKey.ticket(number))
    assert entry is not None
    assert (entry.state, entry.casavi_id) == ("sent", opened["id"])
    writes_after = await world.writes("")
    again = await world.run()
    assert (again.status, again.sent) == ("succeeded", 0)
    assert await world.writes("") == writes_after


# -- iX-Haus changes ------------------------------------------------------------------------
NEW_TICKET = 9901
NEW_NOTE = 9902
NEW_DOCUMENT = 9903


def world_table(world: World, name: str) -> Any:
    return getattr(ixhaus_tables(None, "ixp_", {}), name)


async def units_written(world: World) -> int:
    return await world.writes("POST /v2/units", "PUT /v2/units")


async def new_family(world: World) -> None:
    """A new property 1099 with a unit and a document; a new unit 1001/99 with a contract of
    an existing tenant; a new ticket on 1001 with a public note and an attachment."""
    t = ixhaus_tables(None, "ixp_", {})
    async with world.ixhaus.connect() as conn:
        obj = (await conn.execute(select(t.objects).where(t.objects.c.object_no == "1001"))).one()
        person = (
            await conn.execute(
                select(t.contracts.c.person_no).where(t.contracts.c.object_no == "1001")
            )
        ).first()
        normal = select(t.ticket_types.c.type_no).where(t.ticket_types.c.portal_mode == "normal")
        ticket = (
            await conn.execute(
                select(t.tickets).where(
                    t.tickets.c.object_no == "1001", t.tickets.c.type_no.in_(normal)
                )
            )
        ).first()
        open_status = await conn.scalar(
            select(t.ticket_statuses.c.status_no).where(t.ticket_statuses.c.kind == "open")
        )
        # A document of 1001 casavi holds (so the rules send its copies too).
        sent = next(
            d["id"]
            for d in world.sim.state.store.all("documents")
            if d.get("propertyId") == "1001" and not d.get("ticketId") and d["id"].isdigit()
        )
        document = (
            await conn.execute(select(t.documents).where(t.documents.c.document_id == int(sent)))
        ).first()
    assert person is not None
    assert ticket is not None
    assert document is not None
    values = dict(obj._mapping)
    values.update(object_no="1099", name="Neubau")
    await world.ixhaus_write(insert(t.objects).values(**values))
    unit = {"object_no": "1099", "unit_no": "01", "description": "EG links"}
    await world.ixhaus_write(insert(t.units).values(**unit))
    await world.ixhaus_write(insert(t.units).values(object_no="1001", unit_no="99"))
    contract = {
        "contract_no": "V-9999",
        "object_no": "1001",
        "unit_no": "99",
        "person_no": person.person_no,
        "rent_cents": 50000,
        "deposit_cents": 0,
        "start_date": datetime(2020, 1, 1).date(),
    }
    await world.ixhaus_write(insert(t.contracts).values(**contract))
    ticket_values = dict(ticket._mapping)
    ticket_values.update(ticket_no=NEW_TICKET, subject="Neu", source_ref=None, closed_at=None)
    ticket_values.update(
        cancelled_at=None, reported_at=datetime.now(UTC), status_no=open_status, rating_stars=None
    )
    await world.ixhaus_write(insert(t.tickets).values(**ticket_values))
    await world.ixhaus_write(
        insert(t.notes).values(
            note_id=NEW_NOTE,
            ticket_no=NEW_TICKET,
            created_at=datetime.now(UTC),
            content="Wir melden uns.",
            internal=False,
        )
    )
    doc_values = dict(document._mapping)
    doc_values.update(
        document_id=NEW_DOCUMENT, object_no="1099", ticket_no=None, person_no=None, source_ref=None
    )
    await world.ixhaus_write(insert(t.documents).values(**doc_values))
    attachment = dict(document._mapping)
    attachment.update(
        document_id=NEW_DOCUMENT + 1, ticket_no=NEW_TICKET, person_no=None, source_ref=None
    )
    await world.ixhaus_write(insert(t.documents).values(**attachment))
