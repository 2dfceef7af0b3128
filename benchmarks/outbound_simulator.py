"""An outbound run against the casavi simulator over HTTP: first export, nothing changed,
1 % of the tickets changed, at a given send concurrency and injected latency.

The simulator runs in its own process (``portal-gateway sandbox casavi``) on a spare
loopback port; the gateway's state and the iX-Haus portfolio are fresh PostgreSQL databases,
dropped afterwards. The portfolio is seeded in a child process; ``peak_rss_mb`` (this
process's ``ru_maxrss``) still includes the recorded requests kept for the replays (about
134k bodies on ``large``), so it overstates the worker: ``outbound_sync.py`` reports the runs'
own peak.

Ceilings, measured in the same run: every request the gateway sent to casavi is recorded
(method, path, body; by stage) and replayed by a bare ``httpx.AsyncClient`` with the same
concurrency, stage after stage as the run orders them: the first export's requests to a
fresh simulator (same injected latency), the changed run's requests to the same simulator
afterwards. Reported ratios: first export / its replay (target <= 1.3), with latency also
first export / (requests x latency / concurrency) (target <= 1.3), and the changed run /
(no-change run + replay of its calls) (target <= 1.2). Prints JSON (numbers, no pass/fail).

    python benchmarks/outbound_simulator.py [--profile medium] [--concurrency 1 8]
        [--latency-ms 0] [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import gc
import json
import multiprocessing
import os
import platform
import resource
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
import msgspec
from sqlalchemy import func, select, update

from app.adapters.casavi.http import CasaviHttp
from app.adapters.factories import open_system_adapters
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.environment import normalise_database_url
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import seed_database
from app.sync.context import SystemAdapters
from app.sync.outbound.engine import SendEngine
from app.sync.policy import RunPolicy
from app.sync.ports import SystemSettings
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


class Recorded(msgspec.Struct, frozen=True):
    stage: int
    method: str
    path: str  # with the query, as sent
    content_type: str | None
    body: bytes | None
    sent_at: float = 0.0  # perf_counter when the gateway sent it
    seconds: float = 0.0  # until its answer was read
    status: int = 0


class Recorder:
    """Records every request the gateway's casavi client sends, with the stage it belongs to
    (a stage's sends may run concurrently; stages run one after the other)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.streamed = 0  # requests with a streamed body (documents): not replayable
        self._stage = 0

    def install(self) -> None:
        recorder = self
        send = CasaviHttp._send

        async def recording_send(
            http: CasaviHttp, request: httpx.Request, *, stream: bool
        ) -> httpx.Response:
            started = time.perf_counter()
            response = await send(http, request, stream=stream)
            try:
                body = request.content
            except httpx.RequestNotRead:
                recorder.streamed += 1
            else:
                recorder.requests.append(
                    Recorded(
                        recorder._stage,
                        request.method,
                        request.url.raw_path.decode("ascii"),
                        request.headers.get("content-type"),
                        body or None,
                        started,
                        time.perf_counter() - started,
                        response.status_code,
                    )
                )
            return response

        def staged(function: Any) -> Any:
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                recorder._stage += 1
                return await function(*args, **kwargs)

            return wrapper

        CasaviHttp._send = recording_send  # type: ignore[method-assign]
        SendEngine.stage = staged(SendEngine.stage)  # type: ignore[method-assign]

    def take(self) -> list[Recorded]:
        taken, self.requests = self.requests, []
        return taken


async def replay(url: str, requests: list[Recorded], concurrency: int) -> dict[str, Any]:
    """The ceiling: the same requests by a bare httpx client, ``concurrency`` at a time
    within each stage, stages in order (one authentication first, not timed)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        auth = await client.post(
            "/v2/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
        )
        auth.raise_for_status()
        token = auth.json()["token"]
        calls = [r for r in requests if not r.path.startswith("/v2/authenticate")]
        stages: dict[int, list[Recorded]] = {}
        for call in calls:
            stages.setdefault(call.stage, []).append(call)

        async def worker(queue: list[Recorded]) -> None:
            while queue:
                call = queue.pop()
                headers = {"token": token, "Accept": "application/json"}
                if call.content_type:
                    headers["Content-Type"] = call.content_type
                response = await client.request(
                    call.method, call.path, content=call.body, headers=headers
                )
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1

        started = time.perf_counter()
        for stage in sorted(stages):
            queue = stages[stage][::-1]  # popped from the end: in the order sent
            await asyncio.gather(*(worker(queue) for _ in range(max(concurrency, 1))))
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "requests": len(calls), "statuses": statuses}


def _seed(url: str, profile: str) -> dict[str, int]:
    return asyncio.run(seed_database(url, profile, 1)).counts


async def seed_in_child(url: str, profile: str) -> dict[str, int]:
    """Seed in a child process: the generator's memory is not the gateway's peak RSS."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, _seed, url, profile)


def _timeline(calls: list[Recorded], since: float, limit: int = 40) -> list[str]:
    """When each call of a run went out and how long it took (the first ``limit``)."""
    return [
        f"+{c.sent_at - since:.3f}s {c.seconds * 1000:.0f}ms stage {c.stage} {c.method} "
        f"{c.path.split('?')[0][:60]} -> {c.status}"
        for c in sorted(calls, key=lambda c: c.sent_at)[:limit]
    ]


def _ratio(value: float, ceiling: float) -> float | None:
    return round(value / ceiling, 2) if ceiling > 0 else None


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
    profile: str,
    concurrency: int,
    latency_ms: int,
    admin_url: str,
    ixhaus_url: str,
    recorder: Recorder,
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
            await ConfigRows(session, box).patch(
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
        # One job does the whole export (no hand-over at the job time limit): the benchmark
        # measures throughput, not the continuation.
        policy = RunPolicy(concurrency=concurrency, time_limit_seconds=7200)

        async def adapters(settings: SystemSettings) -> SystemAdapters:
            # Without documents (their own issue and benchmark): the sandbox has no document
            # store here, and every document would fail without a casavi request.
            real = await open_system_adapters(settings)
            return dataclasses.replace(real, documents=None, contents=None, docuware=None)

        services = build_services(sessions, box, NoQueue(), policy=policy, adapters=adapters)
        # As measured before: the record stages only (no notes, no payload archive).
        stores = services.contexts.stores
        services.contexts.stores = dataclasses.replace(stores, two_way=None)
        gc.collect()
        gc.freeze()  # as the worker does after its start-up (app/worker.py)

        run_ids: list[int] = []

        async def one_run() -> dict[str, Any]:
            before = sim.stats()["requests"]
            row, _ = await services.runs.request("test", trigger="benchmark", requested_by=None)
            run_ids.append(row.id)
            t0 = time.perf_counter()
            await execute_run(services, row.id)
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

        recorder.take()
        first = await one_run()
        first_calls = recorder.take()
        creates, held = sim.creates_and_records()
        fresh = Simulator(folder)
        try:
            fresh.faults(latencyMs=latency_ms)
            first_replay = await replay(fresh.url, first_calls, concurrency)
        finally:
            fresh.stop()
        unchanged = await one_run()
        recorder.take()
        tables = IxhausTables()
        tickets = tables.tickets
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
            orders = (
                await conn.scalars(
                    select(tables.work_orders.c.order_no).where(
                        tables.work_orders.c.ticket_no.in_(numbers)
                    )
                )
            ).all()
        await ix_engine.dispose()
        # Exactly these must be sent again: the changed tickets the gateway had sent, and the
        # commissioning notes (T8) it had sent for them (a note is made from its ticket).
        link = EntityLink.__table__.c
        wanted = [f"ticket:{n}" for n in numbers] + [f"work_order_note:{n}" for n in orders]
        async with engine.connect() as conn:
            expected = sorted(
                (
                    await conn.scalars(
                        select(link.ixhaus_key).where(
                            link.system == "test",
                            link.state == "sent",
                            link.ixhaus_key.in_(wanted),
                        )
                    )
                ).all()
            )
        changed_started = time.perf_counter()
        changed = await one_run()
        changed_calls = recorder.take()
        protocol = ProtocolEntry.__table__.c
        async with engine.connect() as conn:
            sent_keys = sorted(
                (
                    await conn.scalars(
                        select(protocol.entity_key).where(
                            protocol.run_id == run_ids[-1], protocol.outcome == "sent"
                        )
                    )
                ).all()
            )
        changed_replay = await replay(sim.url, changed_calls, concurrency)
        await services.aclose()
        await engine.dispose()
        replayable = first_replay["requests"]
        latency_floor = replayable * latency_ms / 1000 / max(concurrency, 1)
        return {
            "concurrency": concurrency,
            "latency_ms": latency_ms,
            "first_export": {
                **first,
                "casavi_creates": creates,
                "casavi_records": held,
                "streamed_requests_not_replayed": recorder.streamed,
            },
            "first_export_bare_httpx_replay": first_replay,
            "first_export_vs_replay": _ratio(first["seconds"], first_replay["seconds"]),
            "latency_floor_seconds": round(latency_floor, 2) if latency_ms else None,
            "first_export_vs_latency_floor": (
                _ratio(first["seconds"], latency_floor) if latency_ms else None
            ),
            "nothing_changed": unchanged,
            "tickets_changed_in_ixhaus": len(numbers),
            "expected_sends": len(expected),
            "after_changes": {**changed, "sent_keys": sent_keys},
            "after_changes_sent_exactly_the_changes": sent_keys == expected,
            "after_changes_calls": _timeline(changed_calls, changed_started),
            "after_changes_bare_httpx_replay": changed_replay,
            "after_changes_vs_no_change_plus_replay": _ratio(
                changed["seconds"], unchanged["seconds"] + changed_replay["seconds"]
            ),
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
        counts = await seed_in_child(ixhaus_url, profile)
        recorder = Recorder()
        recorder.install()
        runs = [
            await one_profile(profile, c, latency_ms, admin_url, ixhaus_url, recorder)
            for c in concurrencies
        ]
        return {
            "benchmark": "outbound_simulator",
            "profile": profile,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "portfolio": counts,
            "runs": runs,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
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
