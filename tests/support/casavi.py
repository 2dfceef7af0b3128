"""Fixtures for the casavi client and simulator tests: the simulator over real HTTP on
127.0.0.1 (``simulator``) or in process (``in_process_simulator``, for the flows that are
not about the HTTP hop), clients whose every request/response is validated against the
contract, and a callback receiver that verifies signatures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from openapi_core import OpenAPI

from app.adapters.casavi import CasaviClient, CasaviClientConfig, RetryPolicy
from app.adapters.casavi.callbacks import SIGNATURE_HEADER, InvalidSignature, verify
from app.adapters.http.clock import SYSTEM_CLOCK, Clock
from app.sandbox.casavi import (
    SANDBOX_KEY,
    SANDBOX_SECRET,
    CasaviSimulator,
    Faults,
    ServerThread,
    create_casavi_simulator,
)
from app.sandbox.casavi.state import Simulator
from tests.support.contract import OpenAPIWebhookRequest, ValidatingTransport, openapi_for
from tests.support.inprocess import IN_PROCESS_CASAVI, InProcessTransport, reach, served_with_client

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=5)
CALLBACK_SECRET = "whsec-test-callback-secret"


@dataclass
class Contract:
    openapi: OpenAPI
    violations: list[str] = field(default_factory=list)
    transports: list[ValidatingTransport] = field(default_factory=list)
    # What the validating transports send through (None: the network).
    inner: Callable[[], httpx.AsyncBaseTransport] | None = None

    def transport(self, *, validate_requests: bool = True) -> ValidatingTransport:
        transport = ValidatingTransport(
            self.openapi,
            self.violations,
            validate_requests=validate_requests,
            inner=self.inner() if self.inner else None,
        )
        self.transports.append(transport)
        return transport

    @property
    def checked(self) -> int:
        return sum(t.checked for t in self.transports)


@dataclass
class SimHandle:
    app: CasaviSimulator
    thread: ServerThread | None  # None: served in process
    base_url: str
    control: httpx.AsyncClient
    served: InProcessTransport | None = None  # the in-process server

    @property
    def transport(self) -> Callable[[], httpx.AsyncBaseTransport] | None:
        """For the gateway's clients (``transport=``): the simulator in process, or the
        network."""
        return reach(self)

    @property
    def state(self) -> Simulator:
        return self.app.simulator

    async def faults(self, **changes: Any) -> None:
        body = msgspec.to_builtins(Faults(**changes))
        (await self.control.put("/_sandbox/faults", json=body)).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        response = await self.control.get("/_sandbox/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def write_count(self) -> int:
        """Requests that could change casavi's records (POST, PUT, PATCH, DELETE; not a
        token request), on every route."""
        stats = await self.stats()
        return sum(
            count
            for route, count in stats["byRoute"].items()
            if route.split(" ", 1)[0] in ("POST", "PUT", "PATCH", "DELETE")
            and "authenticate" not in route
        )

    async def route_count(self, route: str) -> int:
        return int((await self.stats())["byRoute"].get(route, 0))

    async def callbacks_to(self, url: str, secret: str) -> None:
        body = {"url": url, "secret": secret}
        (await self.control.put("/_sandbox/callbacks", json=body)).raise_for_status()

    async def tenant(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.control.request(method, f"/_sandbox/tenant{path}", **kwargs)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@asynccontextmanager
async def serve_simulator(state: Path, *, in_process: bool = False) -> AsyncIterator[SimHandle]:
    """The simulator over HTTP on loopback (or in process: its base URL reaches it only
    through ``handle.transport``), its state in the SQLite file ``state`` (new or a copy of
    one written before)."""
    app = create_casavi_simulator(state, default_page_size=20)
    try:
        if in_process:
            async with served_with_client(app, IN_PROCESS_CASAVI) as (served, control):
                yield SimHandle(app, None, IN_PROCESS_CASAVI, control, served)
        else:
            thread = ServerThread(app).start()
            try:
                async with httpx.AsyncClient(base_url=thread.base_url) as control:
                    yield SimHandle(app, thread, thread.base_url, control)
            finally:
                thread.stop()
    finally:
        app.simulator.store.close()
    # The simulator ignores query parameters no operation declares (as casavi may): none of
    # ours may be among them, or a filter we rely on is silently not applied.
    assert not app.simulator.stats.unknown_query, dict(app.simulator.stats.unknown_query)


@pytest.fixture
async def simulator(tmp_path: Path) -> AsyncIterator[SimHandle]:
    async with serve_simulator(tmp_path / "casavi.db") as handle:
        yield handle


@pytest.fixture(name="simulator")
async def in_process_simulator(tmp_path: Path) -> AsyncIterator[SimHandle]:
    """``simulator``, served in process: import this one where the HTTP hop is not what
    is tested (the gateway's flows in the test's own process)."""
    async with serve_simulator(tmp_path / "casavi.db", in_process=True) as handle:
        yield handle


@pytest.fixture
def contract(simulator: SimHandle) -> Iterator[Contract]:
    checked = Contract(openapi_for(simulator.base_url), inner=simulator.transport)
    yield checked
    assert not checked.violations, checked.violations


ClientFactory = Callable[..., CasaviClient]


@pytest.fixture
async def make_client(simulator: SimHandle, contract: Contract) -> AsyncIterator[ClientFactory]:
    made: list[CasaviClient] = []

    def make(*, clock: Clock = SYSTEM_CLOCK, **overrides: Any) -> CasaviClient:
        settings: dict[str, Any] = {
            "base_url": simulator.base_url,
            "key": SANDBOX_KEY,
            "secret": SANDBOX_SECRET,
            "retry": FAST_RETRY,
            **overrides,
        }
        config = CasaviClientConfig(**settings)
        client = CasaviClient(config, transport=contract.transport(), clock=clock)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: ClientFactory) -> CasaviClient:
    return make_client()


@pytest.fixture
async def raw(simulator: SimHandle, contract: Contract) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client that may send bad requests; responses are still validated."""
    transport = contract.transport(validate_requests=False)
    async with httpx.AsyncClient(base_url=simulator.base_url, transport=transport) as plain:
        yield plain


async def token_for(raw: httpx.AsyncClient) -> str:
    response = await raw.post(
        "/v2/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
    )
    response.raise_for_status()
    return str(response.json()["token"])


class CallbackReceiver:
    """A tiny ASGI app that verifies ``X-Casavi-Signature`` like the gateway will."""

    def __init__(self, secret: str, openapi: OpenAPI) -> None:
        self.secret = secret
        self.openapi = openapi
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[tuple[dict[str, str], bytes]] = []  # headers, raw body
        self.rejected = 0
        self.violations: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.deliveries.append((headers, body))
        try:
            verify(headers.get(SIGNATURE_HEADER.lower()), body, [self.secret])
        except InvalidSignature:
            self.rejected += 1
            status = 401
        else:
            request = httpx.Request("POST", "http://receiver/cb", headers=headers, content=body)
            try:
                self.openapi.validate_webhook_request(
                    OpenAPIWebhookRequest(request, body, "casaviEvent")
                )
            except Exception as exc:  # any violation fails the test
                self.violations.append(repr(exc))
            self.events.append(msgspec.json.decode(body))
            status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def wait_for(self, count: int, seconds: float = 30.0) -> list[dict[str, Any]]:
        """The events once ``count`` have arrived (polled: they arrive on another thread)."""
        async with asyncio.timeout(seconds):
            while len(self.events) < count:  # noqa: ASYNC110 - another thread appends
                await asyncio.sleep(0.01)
        return self.events


@pytest.fixture
async def receiver(simulator: SimHandle, contract: Contract) -> AsyncIterator[CallbackReceiver]:
    app = CallbackReceiver(CALLBACK_SECRET, contract.openapi)
    thread = ServerThread(app).start()
    await simulator.callbacks_to(f"{thread.base_url}/casavi/callbacks", CALLBACK_SECRET)
    try:
        yield app
    finally:
        thread.stop()
    assert not app.violations, app.violations


async def seed_portfolio(client: CasaviClient) -> None:
    """A property with one unit, a renter, a staff member with a role, and ticket types."""
    from app.adapters.casavi.wire import (
        Address,
        ContactWrite,
        Contract,
        PropertyWrite,
        StaffAssignment,
        StaffRoleWrite,
        StaffWrite,
        UnitWrite,
    )
    from app.adapters.casavi.wire_tickets import TicketTypeWrite

    await client.properties.create(
        PropertyWrite(
            id="P-1",
            name="Lindenhof",
            city="München",
            addresses=[Address(street="Lindenstraße 1", units=["P-1/U.1"])],
        )
    )
    await client.units.create(UnitWrite(id="P-1/U.1", property_id="P-1", number="1"))
    await client.contacts.create(
        ContactWrite(
            id="C-1",
            last_name="Mieterin",
            first_name="Mia",
            email="mia@example.org",
            contracts=[Contract(type="RENTER", property_id="P-1", unit_id="P-1/U.1")],
        )
    )
    await client.staff_roles.create(StaffRoleWrite(id="R-1", name="Objektbetreuung"))
    await client.staff.create(
        StaffWrite(
            id="S-1",
            last_name="Verwalter",
            email="s@example.org",
            responsibilities=[StaffAssignment(property_id="P-1", role_id="R-1")],
        )
    )
    await client.ticket_types.create(TicketTypeWrite(id="TT-1", name="Schaden"))
    await client.ticket_types.create(
        TicketTypeWrite(
            id="TT-NOTICE", name="Objektaushang", audience="property", tenant_creatable=False
        )
    )
