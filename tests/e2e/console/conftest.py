"""One real gateway for the console's tests: uvicorn on loopback (a thread of this process),
its own SQLite state, a seeded iX-Haus sandbox, the casavi simulator over HTTP, and the
``test`` system configured and synced once. Browsers are the distribution's Chromium.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from playwright.sync_api import Browser, Page, Playwright, ProxySettings, sync_playwright
from sqlalchemy import select, update

from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.conflicts import SqlConflicts
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.inbox import SqlInbox
from app.adapters.store.models import TicketPortalState
from app.asgi import create_app
from app.console.web import Console
from app.domain.calendar import utcnow
from app.environment import load_settings
from app.sandbox.casavi import create_casavi_simulator
from app.sandbox.casavi.app import CasaviSimulator
from app.sandbox.casavi.server import ServerThread
from app.sandbox.demo import DemoPaths, prepare, sync_once
from app.sync.ports import InboxEvent, NewConflict
from app.sync.ports.events import CallbackRefs, TicketUpdated, inbox_entry
from tests.support.schedule import unit_of

ROOT = Path(__file__).resolve().parents[3]
# Screenshots are taken only when asked: `CONSOLE_SCREENSHOTS=docs/screenshots` (README)
# refreshes the committed ones. They check nothing; a run that keeps none saves ~28 full-page
# captures (~3 s).
SCREENSHOTS_ENV = "CONSOLE_SCREENSHOTS"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Gateway:
    base_url: str
    app: Litestar
    admin_key: str
    ixhaus_key: str
    paths: DemoPaths
    secret_key: str
    simulator: CasaviSimulator

    @property
    def console(self) -> Console:
        console: Console = self.app.state.console
        return console

    def run(self, coroutine: Any) -> Any:
        return run_apart(coroutine)

    async def not_transferred_ticket(self) -> tuple[str, str]:
        """A ticket of the test system that the rules kept out of the portal, and why."""
        engine = create_engine(self.paths.gateway)
        try:
            async with create_session_factory(engine)() as session:
                row = await session.scalar(
                    select(TicketPortalState)
                    .where(
                        TicketPortalState.system == "test",
                        TicketPortalState.transferred.is_(False),
                        TicketPortalState.reason_text.is_not(None),
                    )
                    .order_by(TicketPortalState.ticket_number)
                    .limit(1)
                )
                assert row is not None
                assert row.reason_text is not None
                return row.ticket_number, row.reason_text
        finally:
            await engine.dispose()

    async def break_a_ticket(self) -> str:
        """Make the next run fail on one record: casavi loses the property of an open ticket
        of object 1001, and the ticket changes in iX-Haus (so the run sends it)."""
        number = await self.change_a_ticket("1001")
        self.simulator.simulator.store.delete("properties", "1001")
        return number

    async def change_a_ticket(self, object_no: str) -> str:
        """Change the subject of the first open ticket of ``object_no`` in iX-Haus."""
        tables = IxhausTables()
        engine = create_engine(self.paths.ixhaus)
        try:
            async with engine.begin() as conn:
                number = await conn.scalar(
                    select(tables.tickets.c.ticket_no)
                    .where(
                        tables.tickets.c.closed_at.is_(None),
                        tables.tickets.c.object_no == object_no,
                    )
                    .order_by(tables.tickets.c.ticket_no)
                    .limit(1)
                )
                await conn.execute(
                    update(tables.tickets)
                    .where(tables.tickets.c.ticket_no == number)
                    .values(subject=f"Wasserschaden im Keller {uuid.uuid4().hex[:6]}")
                )
        finally:
            await engine.dispose()
        return str(number)

    async def open_conflict(self, subject: str) -> tuple[int, str, str]:
        """A manual conflict on the subject of a transferred ticket of the test system,
        recorded through the conflicts port: (conflict id, ticket number, iX-Haus value)."""
        tables = IxhausTables()
        engine = create_engine(self.paths.gateway)
        ixhaus = create_engine(self.paths.ixhaus)
        try:
            async with create_session_factory(engine)() as session:
                number = await session.scalar(
                    select(TicketPortalState.ticket_number)
                    .where(
                        TicketPortalState.system == "test",
                        TicketPortalState.transferred.is_(True),
                    )
                    .order_by(TicketPortalState.ticket_number)
                    .limit(1)
                )
            assert number is not None
            async with ixhaus.connect() as conn:
                held = await conn.scalar(
                    select(tables.tickets.c.subject).where(tables.tickets.c.ticket_no == number)
                )
            conflict = NewConflict(
                ticket_number=str(number),
                field="subject",
                base_value=held,
                ixhaus_value=held,
                casavi_value=subject,
                policy="manual",
                resolution=None,
            )
            conflict_id = await SqlConflicts(create_session_factory(engine)).add("test", conflict)
            return conflict_id, str(number), str(held)
        finally:
            await engine.dispose()
            await ixhaus.dispose()

    async def ixhaus_subject(self, number: str) -> str | None:
        tables = IxhausTables()
        engine = create_engine(self.paths.ixhaus)
        try:
            async with engine.connect() as conn:
                subject: str | None = await conn.scalar(
                    select(tables.tickets.c.subject).where(
                        tables.tickets.c.ticket_no == int(number)
                    )
                )
                return subject
        finally:
            await engine.dispose()

    async def parked_event(self, reason: str) -> int:
        """An inbound event of the test system for a casavi ticket nobody knows, parked
        through the inbox port with ``reason``; its id."""
        engine = create_engine(self.paths.gateway)
        try:
            inbox = SqlInbox(create_session_factory(engine))
            ref = f"cv-unknown-{uuid.uuid4().hex[:8]}"
            event = inbox_entry(
                TicketUpdated(
                    id=f"evt-{uuid.uuid4().hex}",
                    occurred_at=utcnow(),
                    data=CallbackRefs(ticket_id=ref),
                )
            )
            await inbox.add("test", [event])
            (stored,) = await inbox.pending("test", ref)
            await inbox.park([stored.id], reason, utcnow() + dt.timedelta(hours=1))
            return stored.id
        finally:
            await engine.dispose()

    async def inbox_event(self, event_id: int) -> InboxEvent | None:
        engine = create_engine(self.paths.gateway)
        try:
            return await SqlInbox(create_session_factory(engine)).get("test", event_id)
        finally:
            await engine.dispose()


def run_apart(coroutine: Any) -> Any:
    """Run a coroutine to its end in a thread of its own: Playwright's sync API keeps an event
    loop running in the test's thread, where ``asyncio.run`` is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_apart_sync(function: Any, *args: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


async def _key(database_url: str, name: str, scope: str) -> str:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create(name, scope)
            await session.commit()
            return key
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    paths = DemoPaths(tmp_path_factory.mktemp("console"))
    run_apart_sync(migrate.upgrade, paths.gateway)
    simulator = create_casavi_simulator(paths.casavi)
    casavi = ServerThread(simulator).start()
    server: ServerThread | None = None
    try:
        secret_key, admin_key = run_apart(prepare(paths, casavi.base_url, lambda _: None))
        assert admin_key is not None
        run_apart(sync_once(paths, secret_key, "first sync", lambda _: None))
        ixhaus_key = run_apart(_key(paths.gateway, "ixhaus-plus", "ixhaus"))
        settings = load_settings({"DATABASE_URL": paths.gateway, "GATEWAY_SECRET_KEY": secret_key})
        app = create_app(settings)
        server = ServerThread(app).start()
        yield Gateway(
            base_url=server.base_url,
            app=app,
            admin_key=admin_key,
            ixhaus_key=ixhaus_key,
            paths=paths,
            secret_key=secret_key,
            simulator=simulator,
        )
    finally:
        if server is not None:
            server.stop()
        casavi.stop()
        simulator.simulator.store.close()


class SharedChromium:
    """One Chromium for the browser tests that run one after the other: launched when a test
    first needs it, closed when the next test is not of the folder's shared unit (the files
    xdist hands one worker together, ``tests.support.schedule``) or none follows. Playwright's
    sync API keeps an event loop running in this thread while it is open, which an asyncio
    test (the unit's APART files, any other folder) must never meet. One launch for the unit
    instead of one per module: about 1.3 s of wall and 1 s of CPU each."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        try:
            if browser is not None:
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


CHROMIUM_NOW = SharedChromium()


@pytest.fixture
def browser() -> Browser:
    return CHROMIUM_NOW.get()


# The test that runs after the one being torn down (None: the last one).
_NEXT: list[pytest.Item | None] = [None]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _NEXT[0] = nextitem
    yield


@pytest.fixture(scope="module", autouse=True)
def shared_chromium_until_the_unit_ends(request: pytest.FixtureRequest) -> Iterator[None]:
    """Closes the shared Chromium as the module ends if the next test is of another unit:
    after its tests' pages, before any session fixture's teardown (which may run asyncio)."""
    yield
    following = _NEXT[0]
    if following is None or unit_of(following.nodeid) != unit_of(request.node.nodeid):
        CHROMIUM_NOW.close()


def gateway_only(gateway: Gateway) -> ProxySettings:
    """The network of the console's pages: the gateway's address only. Every other request
    (another port on loopback too) goes to a proxy nobody runs, and fails. A route that let
    each request through from Python did the same for ~0.1 s of CPU per page load."""
    address = gateway.base_url.split("://", 1)[1]
    return {"server": "http://127.0.0.1:1", "bypass": f"<-loopback>,{address}"}


@pytest.fixture
def page(browser: Browser, gateway: Gateway) -> Iterator[Page]:
    context = browser.new_context(
        base_url=gateway.base_url,
        viewport={"width": 1280, "height": 900},
        proxy=gateway_only(gateway),
    )
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def sign_in(page: Page, key: str) -> None:
    page.goto("/console/signin")
    page.get_by_label("API-Schlüssel").fill(key)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/console")


def screenshot(page: Page, name: str, **options: Any) -> None:
    chosen = os.environ.get(SCREENSHOTS_ENV)
    if not chosen:
        return
    folder = ROOT / chosen
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, **options)


HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, pinned by package-lock.json (``.ci/run`` installs it;
    a plain pytest run installs it here when it is missing)."""
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm is not None, "npm is needed to install axe-core (tests/e2e/console)"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True, timeout=600
        )
    return AXE.read_text(encoding="utf-8")


def axe_findings(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A/AA and best
    practices). Injected through the DevTools protocol: the console's CSP allows no inline
    script, and the test must not weaken it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None
    return found.group(1)


def http_sign_in(gateway: Gateway, key: str) -> tuple[httpx.Client, str]:
    """A plain HTTP client signed in to the console, and its session's CSRF token."""
    client = httpx.Client(base_url=gateway.base_url, follow_redirects=False, timeout=10)
    token = csrf_of(client.get("/console/signin").text)
    answer = client.post("/console/signin", data={"csrf_token": token, "api_key": key})
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client.get("/console").text)
