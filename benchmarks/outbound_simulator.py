"""An outbound run against the casavi simulator over HTTP: first export, nothing changed,
1 % of the tickets changed, at a given send concurrency and injected latency.

The simulator runs in its own process (``portal-gateway sandbox casavi``) on a spare
loopback port; the gateway's state and the iX-Haus portfolio are fresh PostgreSQL databases,
dropped afterwards. Prints JSON (no pass/fail: numbers for the report).

    python benchmarks/outbound_simulator.py [--profile medium] [--concurrency 1 8]
        [--latency-ms 0] [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select, update

from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.database import create_engine, create_session_factory
from app.composition import build_services
from app.config import normalise_database_url
from app.configuration.secrets import SecretBox, new_key
from app.configuration.service import ConfigService
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import seed_database
from app.sync.policy import RunPolicy
from app.sync.queue import NoQueue
from app.sync.runs import execute_run

ROOT = Path(__file__).resolve().parents[1]


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Simulator:
    def __init__(self, folder: Path) -> None:
        self.port = _port()
        self.state = folder / f"casavi-{self.port}.db"
        command = [sys.executable, "-m", "app.cli", "sandbox", "casavi"]
        command += ["--port", str(self.port), "--state", str(self.state)]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/_sandbox/stats").raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def faults(self, **body: Any) -> None:
        httpx.put(f"{self.url}/_sandbox/faults", json=body).raise_for_status()

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.url}/_sandbox/stats").json()
        return result

    def creates_and_records(self) -> tuple[int, int]:
        db = sqlite3.connect(self.state)
        try:
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name='records'").fetchone()
            held = db.execute("SELECT COUNT(*) FROM records").fetchone()
        finally:
            db.close()
        return (int(seq[0]) if seq else 0), int(held[0])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


async def one_profile(
    profile: str, concurrency: int, latency_ms: int, admin_url: str, ixhaus_url: str
) -> dict[str, Any]:
    base = admin_url.rpartition("/")[0]
    name = f"pgw_bench_{uuid.uuid4().hex[:8]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    gateway_url = normalise_database_url(f"{base}/{name}")
    folder = Path(tempfile.mkdtemp(prefix="pgw-bench-", dir=os.environ.get("BENCH_TMP")))
    sim = Simulator(folder)
    try:
        await asyncio.to_thread(migrate.upgrade, gateway_url)
        engine = create_engine(gateway_url)
        sessions = create_session_factory(engine)
        box = SecretBox(new_key())
        async with sessions() as session:
            await ConfigService(session, box).patch(
                "test",
                {
                    **sandbox_config_patch(profile),
                    "active": True,
                    "casavi": {"baseUrl": sim.url},
                    "secrets": {
                        "ixhausDatabaseUrl": _twice(ixhaus_url),
                        "casaviApiKey": _twice(SANDBOX_KEY),
                        "casaviSecret": _twice(SANDBOX_SECRET),
                    },
                },
                "benchmark",
            )
        sim.faults(latencyMs=latency_ms)
        services = build_services(
            sessions, box, NoQueue(), policy=RunPolicy(concurrency=concurrency)
        )

        async def one_run() -> dict[str, Any]:
            before = sim.stats()["requests"]
            row, _ = await services.runs.request("test", trigger="benchmark", requested_by=None)
            t0 = time.perf_counter()
            await execute_run(
                runs=services.runs,
                contexts=services.contexts,
                ledger=services.ledger,
                portal_states=services.portal_states,
                clock=services.clock,
                run_id=row.id,
                policy=services.policy,
            )
            seconds = time.perf_counter() - t0
            done = await services.runs.get(row.id)
            assert done is not None
            stats = sim.stats()
            return {
                "status": done.status,
                "seconds": round(seconds, 2),
                "sent": done.sent,
                "unchanged": done.unchanged,
                "excluded": done.excluded,
                "errors": done.errors,
                "casavi_requests": stats["requests"] - before,
                "max_in_flight": stats["maxInFlight"],
            }

        first = await one_run()
        creates, held = sim.creates_and_records()
        unchanged = await one_run()
        tickets = IxhausTables().tickets
        ix_engine = create_engine(normalise_database_url(ixhaus_url))
        async with ix_engine.begin() as conn:
            total = await conn.scalar(select(func.count()).select_from(tickets))
            numbers = (
                await conn.scalars(
                    select(tickets.c.ticket_no)
                    .where(tickets.c.closed_at.is_(None))
                    .order_by(tickets.c.ticket_no)
                    .limit(max(int(total or 0) // 100, 1))
                )
            ).all()
            await conn.execute(
                update(tickets)
                .where(tickets.c.ticket_no.in_(numbers))
                .values(subject=f"Heizung fällt aus ({uuid.uuid4().hex[:6]})")
            )
        await ix_engine.dispose()
        changed = await one_run()
        await services.aclose()
        await engine.dispose()
        return {
            "concurrency": concurrency,
            "latency_ms": latency_ms,
            "first_export": {**first, "casavi_creates": creates, "casavi_records": held},
            "nothing_changed": unchanged,
            "tickets_changed_in_ixhaus": len(numbers),
            "after_changes": changed,
        }
    finally:
        sim.stop()
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(
    profile: str, concurrencies: list[int], latency_ms: int, admin_url: str
) -> dict[str, Any]:
    base = admin_url.rpartition("/")[0]
    name = f"pgw_bench_ix_{uuid.uuid4().hex[:8]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    ixhaus_url = f"{base}/{name}"
    try:
        report = await seed_database(ixhaus_url, profile, 1)
        runs = [
            await one_profile(profile, c, latency_ms, admin_url, ixhaus_url) for c in concurrencies
        ]
        return {
            "benchmark": "outbound_simulator",
            "profile": profile,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "portfolio": report.counts,
            "runs": runs,
        }
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    result = asyncio.run(run(args.profile, args.concurrency, args.latency_ms, args.admin_url))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
