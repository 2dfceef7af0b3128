"""Fault-suite fixtures: real processes on spare loopback ports.

Each test gets its own ``redis-server`` (never the shared one), a fresh PostgreSQL database
for the gateway, the casavi simulator over HTTP, and ``python -m app.cli worker`` processes
it may kill. The iX-Haus portfolio (``PORTFOLIO``) is seeded once per module.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.environment import load_settings
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus.profiles import ProfileSpec
from app.sync.policy import RunPolicy
from app.sync.queue import ArqQueue, arq_redis
from app.sync.services import Services
from tests.conftest import seeded_ixhaus_database
from tests.support.casavi import SimHandle
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = base64.urlsafe_b64encode(b"fault-suite-key-0123456789abcdef").decode()
# Short enough for a test, the same mechanism as the defaults (10 s / 60 s). A live worker
# starved of CPU (a loaded 2-core machine) may miss beats for seconds; 20 missed beats before
# a takeover keep a slow worker from being mistaken for a dead one.
HEARTBEAT_SECONDS = 0.5
STALE_SECONDS = 10.0
# How long a fault test waits for a state before it gives up: an upper bound only (a passing
# test never waits for it), sized for a 2-core machine at load 10.
PATIENCE_SECONDS = 300.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A private ``redis-server`` on a spare loopback port, without persistence."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp_path)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=60)


# Six objects of the medium portfolio's density (50 units, 100 persons, 60 contracts, 200
# notes per object), with more tickets (100 per object) so that the ticket stage is as long
# as the others: every stage a test kills a worker in has a few hundred records to send
# (units 250, persons about 350, tickets about 190 with 8 house notices, notes about 240;
# 1,105 sends in all). The medium portfolio itself (40 objects) cost each job of a run a
# walk over some 19,000 records of objects outside the range, and 3 s to seed.
PORTFOLIO = ProfileSpec(
    objects=6,
    units_per_object=50,
    persons=600,
    contracts=360,
    tickets=600,
    notes=1200,
    documents=60,
    users=30,
)


@pytest.fixture(scope="module")
def ixhaus_portfolio() -> Iterator[str]:
    with seeded_ixhaus_database(PORTFOLIO) as url:
        yield url


@pytest.fixture
def gateway_db(fresh_pg_database: str) -> str:
    url = load_settings({"DATABASE_URL": fresh_pg_database}).database_url
    migrate.upgrade(url)
    return url


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


# The portfolio's objects but its last (the sandbox keeps the last object out of range).
OBJECT_RANGE = [{"from": "1001", "to": "1005"}]


async def activate(gateway_db: str, ixhaus_url: str, casavi_url: str) -> None:
    """The test system, switched on, over the portfolio and the simulator."""
    engine = create_engine(gateway_db)
    try:
        async with create_session_factory(engine)() as session:
            await ConfigRows(session, SecretBox(SECRET_KEY)).patch(
                "test",
                {
                    # The sandbox's configuration (the same for every profile but the range).
                    **sandbox_config_patch("medium"),
                    "objects": {
                        **sandbox_config_patch("medium")["objects"],
                        "range": OBJECT_RANGE,
                    },
                    # Documents have a suite of their own; here none are released.
                    "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                    "active": True,
                    "casavi": {"baseUrl": casavi_url},
                    "secrets": {
                        "ixhausDatabaseUrl": _twice(ixhaus_url),
                        "casaviApiKey": _twice(SANDBOX_KEY),
                        "casaviSecret": _twice(SANDBOX_SECRET),
                    },
                },
                "fault-suite",
            )
    finally:
        await engine.dispose()


@dataclass
class Workers:
    """``python -m app.cli worker`` processes, as an operator runs them."""

    env: dict[str, str]
    logs: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, **extra_env: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=log,
        )
        log.close()
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        process.send_signal(sig)
        process.wait(timeout=120)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


@pytest.fixture
def workers(gateway_db: str, own_redis: str, tmp_path: Path) -> Iterator[Workers]:
    env = {
        **os.environ,
        "DATABASE_URL": gateway_db,
        "REDIS_URL": own_redis,
        "ARQ_QUEUE_NAME": f"pgw-fault:{uuid.uuid4().hex[:8]}",
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "RUN_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "RUN_STALE_SECONDS": str(STALE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    logs = tmp_path / "workers"
    logs.mkdir()
    pool = Workers(env, logs)
    try:
        yield pool
    finally:
        for process in pool.running:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
async def trigger_services(workers: Workers) -> AsyncIterator[Services]:
    """What the API process uses to trigger runs: the gateway's stores and the arq queue."""
    env = workers.env
    engine = create_engine(env["DATABASE_URL"])
    queue = ArqQueue(arq_redis(env["REDIS_URL"], env["ARQ_QUEUE_NAME"]), env["ARQ_QUEUE_NAME"])
    services = build_services(
        create_session_factory(engine),
        SecretBox(SECRET_KEY),
        queue,
        policy=RunPolicy(heartbeat_seconds=HEARTBEAT_SECONDS, stale_seconds=STALE_SECONDS),
    )
    try:
        yield services
    finally:
        await services.aclose()
        await queue.close()
        await engine.dispose()


def sim_counts(simulator: SimHandle) -> tuple[int, int]:
    """(successful creates ever, records held) in the simulator's store.

    The store refuses a duplicate reference id (409), and a refused insert does not use up
    an id, so the id sequence counts the creates that succeeded: equal to the records held
    means no record was ever created twice (nor removed and created again)."""
    db = sqlite3.connect(simulator.state.store.path)
    try:
        seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
        held = db.execute("SELECT COUNT(*) FROM records").fetchone()
    finally:
        db.close()
    return (int(seq[0]) if seq else 0), int(held[0])


async def wait_until(predicate: object, seconds: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while True:
        result = predicate()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(every)
