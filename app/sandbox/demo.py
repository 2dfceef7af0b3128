"""``portal-gateway demo``: a real sync on the embedded default, with nothing to install.

Everything runs in one process and one folder (``./portal-gateway-demo`` by default):
the gateway's state (SQLite), a sandbox iX-Haus portfolio (SQLite) with its document files,
the casavi and DocuWare simulators (HTTP on loopback) and the in-process job queue. The demo
configures the ``test`` system against them, runs a sync, changes a ticket in iX-Haus, syncs
again; then the conversation on one ticket (``sandbox.conversation``): a simulated tenant
opens a ticket in casavi, which reaches iX-Haus through the gateway's poll (rule T10; casavi
offers no native callbacks, so polling is the default); staff answer on it, commission a
contractor (T8), move its status and close it; the tenant sees each step and replies (N1);
then one more tenant message takes the optional fast path, signed callbacks. Then it serves
the gateway's API and the admin console (a one-time sign-in link is printed) so the result
can be explored. Fixed ports (``--port``, ``--casavi-port``, ``--docuware-port``) keep the
URLs the same between runs; ``--reset`` starts from an empty folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ApiKey, ProtocolEntry, TicketPortalState
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
from app.sandbox.casavi.server import ServerThread
from app.sandbox.config import sandbox_config_patch
from app.sandbox.docuware import SANDBOX_PASSWORD as DW_PASSWORD
from app.sandbox.docuware import SANDBOX_USER as DW_USER
from app.sandbox.docuware import create_docuware_simulator
from app.sandbox.docuware.catalogue import MAIN_CABINET
from app.sandbox.ixhaus import seed_database
from app.sandbox.ixhaus.files import write_document_files
from app.sync.ports import SyncRunInfo
from app.sync.queue import NoQueue
from app.sync.runs import execute_run

Say = Callable[[str], None]
# The sandbox's callback secret (casavi simulator -> gateway); never a production value.
DEMO_CALLBACK_SECRET = "demo-callback-secret"  # noqa: S105
DEMO_POLL_SECONDS = 1  # the demo polls casavi every second (the default is 60)


class DemoPaths:
    # What a demo keeps in its folder (``reset`` removes exactly these).
    OWN = ("gateway.db", "ixhaus.db", "casavi.db", "secret.key")
    OWN_DIRS = ("documents", "casavi.db.files")

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.gateway = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
        self.ixhaus_file = folder / "ixhaus.db"
        self.ixhaus = f"sqlite+aiosqlite:///{self.ixhaus_file}"
        self.casavi = folder / "casavi.db"
        self.key_file = folder / "secret.key"
        self.documents = folder / "documents"  # iX-Haus's document store (sparse files)

    def reset(self) -> None:
        """Start over: remove the demo's own files (and SQLite's side files) from the folder."""
        for name in self.OWN:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)
        for name in self.OWN_DIRS:
            shutil.rmtree(self.folder / name, ignore_errors=True)

    def secret_key(self) -> str:
        """The demo's own key for secrets at rest, kept beside its data (never for production)."""
        if not self.key_file.exists():
            self.key_file.write_text(new_key())
            os.chmod(self.key_file, 0o600)
        return self.key_file.read_text().strip()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def prepare(
    paths: DemoPaths, casavi_url: str, say: Say, docuware_url: str = ""
) -> tuple[str, str | None]:
    """Seed iX-Haus, configure and activate the test system; return (secret key, API key)."""
    if not paths.ixhaus_file.exists():
        report = await seed_database(paths.ixhaus, "small", 1)
        say(
            f"iX-Haus sandbox: {report.counts['objects']} objects, {report.counts['persons']} "
            f"persons, {report.counts['tickets']} tickets ({paths.ixhaus_file})"
        )
        ixhaus = create_engine(paths.ixhaus)
        try:
            files = await write_document_files(
                paths.documents, IxhausReader(ixhaus, IxhausTables()).documents()
            )
        finally:
            await ixhaus.dispose()
        say(f"iX-Haus document store: {files} files ({paths.documents})")
    secret_key = paths.secret_key()
    engine = create_engine(paths.gateway)
    try:
        sessions = create_session_factory(engine)
        await SqlConfigs(sessions, SecretBox(secret_key)).patch(
            "test",
            {
                **sandbox_config_patch("small"),
                "active": True,
                "casavi": {"baseUrl": casavi_url},
                # The poll is how tenants' tickets arrive; callbacks stay off until the
                # fast path is shown.
                "inbound": {"pollSeconds": DEMO_POLL_SECONDS, "callbacksEnabled": False},
                "ixhaus": {"documentRoot": str(paths.documents)},
                "docuware": {
                    "baseUrl": docuware_url or None,
                    "username": DW_USER,
                    "fileCabinetId": MAIN_CABINET,
                },
                "secrets": {
                    "ixhausDatabaseUrl": _twice(paths.ixhaus),
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                    "docuwarePassword": _twice(DW_PASSWORD),
                    "callbackSecret": _twice(DEMO_CALLBACK_SECRET),
                },
            },
            "demo",
        )
        api_key = await _demo_api_key(sessions)
    finally:
        await engine.dispose()
    return secret_key, api_key


async def _demo_api_key(sessions: async_sessionmaker[AsyncSession]) -> str | None:
    async with sessions() as session:
        if await session.scalar(select(ApiKey).where(ApiKey.name == "demo")) is not None:
            return None  # created by an earlier demo run and shown then
        _, key = await ApiKeyRepository(session).create("demo", "admin")
        await session.commit()
        return key


async def sync_once(paths: DemoPaths, secret_key: str, label: str, say: Say) -> SyncRunInfo:
    engine = create_engine(paths.gateway)
    services = build_services(create_session_factory(engine), SecretBox(secret_key), NoQueue())
    try:
        run, _ = await services.runs.request("test", trigger="demo", requested_by="demo")
        await execute_run(services, run.id)
        done = await services.runs.get(run.id)
        assert done is not None
        seconds = (
            (done.finished_at - done.started_at).total_seconds()
            if done.finished_at and done.started_at
            else 0.0
        )
        async with create_session_factory(engine)() as session:
            too_large = await session.scalar(  # rule D5: a warning for the operator
                select(func.count())
                .select_from(ProtocolEntry)
                .where(
                    ProtocolEntry.run_id == done.id,
                    ProtocolEntry.reason_code == "document_too_large",
                )
            )
        say(
            f"{label}: run {done.id} {done.status} in {seconds:.2f} s - sent {done.sent}, "
            f"unchanged {done.unchanged}, excluded {done.excluded}, errors {done.errors} "
            f"(documents over the size limit: {too_large})"
            + (f" ({done.last_error})" if done.last_error else "")
        )
        async with create_session_factory(engine)() as session:
            states = (await session.scalars(select(TicketPortalState).limit(200))).all()
        transferred = sum(1 for s in states if s.transferred)
        reasons = sorted({s.reason_text for s in states if not s.transferred and s.reason_text})
        say(
            f"  tickets in the portal: {transferred}; not transferred because: "
            + "; ".join(reasons[:4])
        )
        return done
    finally:
        await services.aclose()
        await engine.dispose()


async def change_a_ticket(paths: DemoPaths, say: Say) -> None:
    tables = IxhausTables()
    engine = create_engine(paths.ixhaus)
    try:
        async with engine.begin() as conn:
            number = await conn.scalar(
                select(tables.tickets.c.ticket_no)
                .where(tables.tickets.c.closed_at.is_(None), tables.tickets.c.object_no == "1001")
                .order_by(tables.tickets.c.ticket_no)
                .limit(1)
            )
            await conn.execute(
                update(tables.tickets)
                .where(tables.tickets.c.ticket_no == number)
                .values(subject=f"Heizung fällt aus - Techniker kommt ({datetime.now():%H:%M:%S})")
            )
    finally:
        await engine.dispose()
    say(f"changed the subject of ticket {number} in iX-Haus")


def run_demo(
    folder: Path,
    *,
    host: str,
    port: int,
    casavi_port: int,
    serve: bool,
    docuware_port: int = 0,
    reset: bool = False,
    say: Say = print,
) -> dict[str, Any]:
    paths = DemoPaths(folder)
    if reset:
        paths.reset()
        say(f"reset: the demo starts from scratch in {folder}")
    # One line per request is right for an operator's log, too much for a demo's screen.
    for name in (
        "httpx",
        "app.adapters.casavi",
        "app.adapters.docuware",
        "app.sync.inbound",
        "alembic",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    migrate.upgrade(paths.gateway)
    simulator = create_casavi_simulator(paths.casavi, invite_contacts=True)
    casavi = ServerThread(simulator, port=casavi_port).start()
    say(f"casavi simulator: {casavi.base_url} (state {paths.casavi})")
    docuware = ServerThread(create_docuware_simulator(), port=docuware_port).start()
    say(f"DocuWare simulator: {docuware.base_url}")
    try:
        secret_key, api_key = asyncio.run(
            prepare(paths, casavi.base_url, say, docuware_url=docuware.base_url)
        )
        first = asyncio.run(sync_once(paths, secret_key, "first sync", say))
        second = asyncio.run(sync_once(paths, secret_key, "nothing changed", say))
        asyncio.run(change_a_ticket(paths, say))
        third = asyncio.run(sync_once(paths, secret_key, "one ticket changed", say))
        talk = conversation(paths, secret_key, casavi.base_url, say)
        say(
            "the CLI works on this demo's state with: "
            f"DATABASE_URL='{paths.gateway}' GATEWAY_SECRET_KEY=\"$(cat '{paths.key_file}')\" "
            "portal-gateway apikey list"
        )
        summary = {
            "first": first.sent,
            "second": second.sent,
            "third": third.sent,
            "statuses": [first.status, second.status, third.status, talk.pop("run")],
            "errors": first.errors + second.errors + third.errors,
            "conversation": talk,
        }
        if serve:
            _serve(paths, secret_key, api_key, host, port, say)
        return summary
    finally:
        casavi.stop()
        docuware.stop()
        simulator.simulator.store.close()


def _serve(
    paths: DemoPaths, secret_key: str, api_key: str | None, host: str, port: int, say: Say
) -> None:
    import uvicorn

    from app.asgi import create_app
    from app.environment import load_settings

    settings = load_settings({"DATABASE_URL": paths.gateway, "GATEWAY_SECRET_KEY": secret_key})
    app = create_app(settings, scheduler=True)
    # A one-time link signs the operator in with the demo key (the key never goes in a URL).
    token = asyncio.run(_sign_in_link(settings))
    say(f"admin console: http://{host}:{port}/console/signin?token={token} (works once, 10 min)")
    say(f"gateway API: http://{host}:{port}/schema (OpenAPI UI), /health/ready, /metrics")
    if api_key:
        say(f"admin API key (shown once): {api_key}")
    say(f"try: curl -H 'X-API-Key: …' http://{host}:{port}/api/v1/sync-runs")
    uvicorn.run(app, host=host, port=port, log_level="warning")


async def _sign_in_link(settings: Any) -> str:
    from app.adapters.store.database import create_engine
    from app.console import issue_sign_in_link

    engine = create_engine(settings.database_url)
    try:
        return await issue_sign_in_link(settings, engine, "demo")
    finally:
        await engine.dispose()


def conversation(paths: DemoPaths, secret_key: str, casavi_url: str, say: Say) -> dict[str, Any]:
    """The conversation on the ticket a tenant opens in casavi (``sandbox.conversation``):
    the tenant's side arrives by the gateway's poll; then one message on the optional fast
    path, casavi's signed callbacks to the gateway (served here for the moment)."""
    from app.asgi import create_app
    from app.environment import load_settings

    settings = load_settings({"DATABASE_URL": paths.gateway, "GATEWAY_SECRET_KEY": secret_key})
    gateway = ServerThread(create_app(settings)).start()
    try:
        return asyncio.run(_converse(paths, secret_key, casavi_url, gateway.base_url, say))
    finally:
        gateway.stop()


async def _converse(
    paths: DemoPaths, secret_key: str, casavi_url: str, gateway_url: str, say: Say
) -> dict[str, Any]:
    import httpx

    from app.sandbox.conversation import Conversation
    from app.sync.jobs import BY_NAME, JOB_FUNCTIONS, every
    from app.sync.queue import InProcessQueue

    engine = create_engine(paths.gateway)
    sessions, box = create_session_factory(engine), SecretBox(secret_key)
    ctx: dict[str, Any] = {}
    services = build_services(sessions, box, InProcessQueue(JOB_FUNCTIONS, ctx))
    ctx["services"] = services
    ixhaus = create_engine(paths.ixhaus)

    async def run(label: str) -> SyncRunInfo:
        return await sync_once(paths, secret_key, label, say)

    async def callbacks(enabled: bool) -> None:
        patch = {"inbound": {"callbacksEnabled": enabled}}
        await services.configs.patch("test", patch, "demo")

    poll = asyncio.create_task(every(BY_NAME["inbound-poll"], services, 1))  # the embedded poll
    try:
        async with httpx.AsyncClient(base_url=casavi_url, timeout=10) as sim:
            tenant = await _a_renter(sim)
            say(f"the gateway polls casavi every {DEMO_POLL_SECONDS} s (the default: 60)")
            talk = Conversation(services, ixhaus, sim, run, say)
            summary = await talk.talk(tenant)
            # The optional fast path, shown alone: the poll pauses, casavi calls back.
            poll.cancel()
            await asyncio.gather(poll, return_exceptions=True)
            await callbacks(True)
            callback = f"{gateway_url}/api/v1/systems/test/callbacks/casavi"
            body = {"url": callback, "secret": DEMO_CALLBACK_SECRET}
            (await sim.put("/_sandbox/callbacks", json=body)).raise_for_status()
            try:
                say(
                    "optional fast path: signed callbacks (casavi offers none natively; a relay "
                    "in front of casavi can send them) - the tenant writes once more"
                )
                since = time.monotonic()
                message = await sim.post(
                    f"/_sandbox/tenant/tickets/{summary['casavi_ticket']}/messages",
                    json={"contactId": tenant["contactId"], "content": "Noch eine Frage."},
                )
                message.raise_for_status()
                note = await talk._arrival(talk.tables.notes, message.json()["id"])
                seconds = time.monotonic() - since
                say(f"  -> iX-Haus note {note.note_id} after {seconds:.2f} s via the callback")
                summary["callback_reply_seconds"] = round(seconds, 2)
            finally:
                (await sim.put("/_sandbox/callbacks", json={"url": None})).raise_for_status()
                await callbacks(False)
            return summary
    finally:
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
        await services.aclose()
        await ixhaus.dispose()
        await engine.dispose()


async def _a_renter(sim: Any) -> dict[str, str]:
    """A renter casavi got from the gateway, with the unit, object and a ticket type."""
    from app.adapters.casavi import CasaviClient, CasaviClientConfig

    config = CasaviClientConfig(base_url=str(sim.base_url), key=SANDBOX_KEY, secret=SANDBOX_SECRET)
    async with CasaviClient(config) as client:
        types = [t async for t in client.ticket_types.list() if t.tenant_creatable]
        async for contact in client.contacts.list():
            for contract in contact.contracts:
                if contract.type == "RENTER" and contract.unit_id:
                    return {
                        "contactId": contact.id,
                        "propertyId": contract.property_id,
                        "unitId": contract.unit_id,
                        "ticketTypeId": types[0].id,
                    }
    raise RuntimeError("no renter in the sandbox casavi")
