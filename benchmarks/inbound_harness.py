"""Shared set-up of the inbound benchmarks: fresh PostgreSQL databases (gateway state and a
seeded iX-Haus sandbox), the casavi simulator on loopback, the test system configured and
its master data sent by a real outbound run, the gateway served by uvicorn in its own
process and ``portal-gateway worker`` processes (arq on Redis, low ``poll_delay``)."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.environment import normalise_database_url
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, ServerThread, create_casavi_simulator
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import seed_database
from app.sync.queue import NoQueue
from app.sync.runs import execute_run
from app.sync.services import Services

ROOT = Path(__file__).resolve().parents[1]
CALLBACK_SECRET = "whsec-benchmark"  # noqa: S105 - a throwaway sandbox secret
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def machine() -> dict[str, Any]:
    # The load average says how busy the (shared) machine was when the numbers were taken.
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@dataclass
class Stack:
    gateway_url: str  # the gateway's state (async SQLAlchemy URL)
    ixhaus_url: str
    secret_key: str
    queue: str
    ixhaus: AsyncEngine
    services: Services
    sim_url: str
    sim_thread: ServerThread
    sim_app: Any
    casavi: CasaviClient
    control: httpx.AsyncClient
    tmp: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    gateway_base: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.gateway_url,
            "REDIS_URL": REDIS_URL,
            "ARQ_QUEUE_NAME": self.queue,
            "GATEWAY_SECRET_KEY": self.secret_key,
            "ARQ_POLL_DELAY": "0.05",
            "INBOUND_SWEEP_SECONDS": "1",
            "INBOUND_LEASE_SECONDS": "5",
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            **extra,
        }

    def start_gateway(self, workers: int = 1, **extra: str) -> str:
        port = free_port()
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "app.asgi:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        self._spawn(command, "gateway", **extra)
        self.gateway_base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.gateway_base}/health/live", timeout=1).status_code == 200:
                    return self.gateway_base
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.1)

    def start_worker(self, **extra: str) -> subprocess.Popen[bytes]:
        return self._spawn([sys.executable, "-m", "app.cli", "worker"], "worker", **extra)

    def _spawn(self, command: list[str], name: str, **extra: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}-{len(self.processes)}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command, cwd=ROOT, env=self.env(**extra), stdout=out, stderr=out
            )
        self.processes.append(process)
        return process

    async def count(self, table: str, **where: Any) -> int:
        t = getattr(IxhausTables(), table)
        query = select(func.count()).select_from(t)
        for column, value in where.items():
            query = query.where(t.c[column] == value)
        async with self.ixhaus.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def tenant(self) -> dict[str, str]:
        types = [t async for t in self.casavi.ticket_types.list() if t.tenant_creatable]
        async for contact in self.casavi.contacts.list():
            for contract in contact.contracts:
                if contract.type == "RENTER":
                    return {
                        "contactId": contact.id,
                        "propertyId": contract.property_id,
                        "unitId": contract.unit_id,
                        "ticketTypeId": types[0].id,
                    }
        raise RuntimeError("no renter in casavi")

    async def sandbox(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.control.request(method, f"/_sandbox{path}", **kwargs)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def callbacks_to_gateway(self) -> None:
        body = {"url": f"{self.gateway_base}/api/v1/systems/test/callbacks/casavi",
                "secret": CALLBACK_SECRET}  # fmt: skip
        (await self.control.put("/_sandbox/callbacks", json=body)).raise_for_status()


@asynccontextmanager
async def stack(
    profile: str = "small", config: dict[str, Any] | None = None
) -> AsyncIterator[Stack]:
    base = ADMIN_URL.rpartition("/")[0]
    names = [f"pgw_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        await _admin(f'CREATE DATABASE "{name}"')
    gateway_url = normalise_database_url(f"{base}/{names[0]}")
    ixhaus_url = f"{base}/{names[1]}"
    tmp = Path(tempfile.mkdtemp(prefix="pgw-bench-"))
    sim_app = create_casavi_simulator(tmp / "casavi.db", default_page_size=100)
    sim_thread = ServerThread(sim_app).start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.to_thread(migrate.upgrade, gateway_url)
        await seed_database(ixhaus_url, profile, 1)
        engine = create_engine(gateway_url)
        sessions = create_session_factory(engine)
        secret_key = new_key()
        box = SecretBox(secret_key)
        async with sessions() as session:
            await ConfigRows(session, box).patch(
                "test",
                {
                    **sandbox_config_patch(profile),
                    "active": True,
                    "casavi": {"baseUrl": sim_thread.base_url},
                    # The inbound benchmarks measure signed callbacks, the optional fast path
                    # (off by default since polling is): on unless ``config`` says otherwise.
                    "inbound": {"callbacksEnabled": True},
                    **(config or {}),
                    "secrets": {
                        "ixhausDatabaseUrl": _twice(ixhaus_url),
                        "casaviApiKey": _twice(SANDBOX_KEY),
                        "casaviSecret": _twice(SANDBOX_SECRET),
                        "callbackSecret": _twice(CALLBACK_SECRET),
                    },
                },
                "benchmark",
            )
        services = build_services(sessions, box, NoQueue())
        run, _ = await services.runs.request("test", trigger="benchmark", requested_by=None)
        await execute_run(services, run.id)
        ixhaus = create_engine(normalise_database_url(ixhaus_url))
        casavi = CasaviClient(
            CasaviClientConfig(base_url=sim_thread.base_url, key=SANDBOX_KEY, secret=SANDBOX_SECRET)
        )
        async with httpx.AsyncClient(base_url=sim_thread.base_url, timeout=30) as control:
            the_stack = Stack(
                gateway_url=gateway_url,
                ixhaus_url=ixhaus_url,
                secret_key=secret_key,
                queue=f"pgw-bench:{uuid.uuid4().hex[:8]}",
                ixhaus=ixhaus,
                services=services,
                sim_url=sim_thread.base_url,
                sim_thread=sim_thread,
                sim_app=sim_app,
                casavi=casavi,
                control=control,
                tmp=tmp,
                processes=processes,
            )
            try:
                yield the_stack
            finally:
                for process in processes:
                    if process.poll() is None:
                        process.send_signal(signal.SIGTERM)
                for process in processes:
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
                await casavi.aclose()
                await services.aclose()
                await ixhaus.dispose()
                await engine.dispose()
    finally:
        sim_thread.stop()
        sim_app.simulator.store.close()
        for name in names:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def quiet() -> None:
    """No per-request log lines from the simulator's callback dispatcher and the clients."""
    import logging

    for name in ("httpx", "app", "uvicorn", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
