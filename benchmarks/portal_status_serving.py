"""Bulk portal status served as in production vs the same query behind a bare Litestar handler.

Both servers run side by side on a fresh PostgreSQL database holding ``--rows`` portal states:

- **gateway**: ``portal-gateway serve --workers N`` (uvicorn; uvloop and httptools are picked
  when installed, as in production), with Redis, answering
  ``GET /api/v1/systems/test/tickets/portal-status?number=…&number=…`` with an API key;
- **bare**: one Litestar GET handler running the same SELECT through a plain SQLAlchemy async
  engine and answering the same JSON, served by ``uvicorn.run`` with the same settings
  (factory, workers, log level, so the same access log).

Each request asks for ``--numbers`` ticket numbers in a shuffled order (10 % of them unknown).
The load comes from ``--clients`` raw keep-alive HTTP/1.1 connections (closed loop, no client
library) in a separate process; its own CPU time per request is reported, because it shares
the machine's cores with the servers. The two targets are loaded alternately for ``--rounds``
rounds of ``--seconds`` each; the JSON reports every round and the medians.

    python benchmarks/portal_status_serving.py [--workers 2] [--clients 32] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar import Litestar, get
from litestar.params import QueryParameter
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import create_async_engine

from app.adapters.store.models import TicketPortalState as T
from app.api.schemas import TicketPortalStatusList, TicketPortalStatusView
from app.environment import load_settings

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PATH = "/api/v1/systems/test/tickets/portal-status"


# -- the bare reference app ---------------------------------------------------------------
def bare_app() -> Litestar:
    """One Litestar handler: the gateway's SELECT on a plain async engine, the same JSON."""
    # The gateway's pool size (DATABASE_POOL_SIZE), the statement its store sends on
    # PostgreSQL (the numbers as one array parameter) and its autocommit reads (no BEGIN and
    # ROLLBACK round trips): the same database work, so the ratio shows the gateway's own cost.
    # (20, its default, when the gateway measured predates the setting: a before/after run.)
    pool_size = getattr(load_settings(), "database_pool_size", 20)
    engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=pool_size)
    fields = TicketPortalStatusView.__struct_fields__
    columns = tuple(getattr(T, name) for name in fields)
    query = (
        select(*columns)
        .where(
            T.system == bindparam("system"),
            T.ticket_number == any_(bindparam("numbers", type_=ARRAY(String))),
        )
        .order_by(T.ticket_number)
    )

    @get(PATH.replace("/test/", "/{system:str}/"))
    async def many(
        system: str, number: Annotated[list[str], QueryParameter()]
    ) -> TicketPortalStatusList:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            rows = (await conn.execute(query, {"system": system, "numbers": number})).all()
        found = {
            row[0]: TicketPortalStatusView(**dict(zip(fields, row, strict=True))) for row in rows
        }
        ordered = list(dict.fromkeys(number))
        return TicketPortalStatusList(
            items=[found[n] for n in ordered if n in found],
            unknown=[n for n in ordered if n not in found],
        )

    async def dispose() -> None:
        await engine.dispose()

    return Litestar([many], on_shutdown=[dispose], logging_config=None)


def _serve_bare(port: int, workers: int) -> None:
    import uvicorn

    # The arguments of ``portal-gateway serve`` (app/cli.py), so both servers log alike.
    uvicorn.run(
        "benchmarks.portal_status_serving:bare_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="info",
    )


# -- the load client (runs in its own process) --------------------------------------------
async def _client(
    host: str,
    port: int,
    requests: Sequence[bytes],
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = random.randrange(len(requests))
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = -1
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length < 0:
                raise RuntimeError("a response without Content-Length")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load_async(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    requests = [r.encode("latin-1") for r in spec["requests"]]
    # Warm-up: every server worker has its pool, caches and code paths hot.
    warm: dict[int, int] = {}
    until = time.perf_counter() + spec["warmup_seconds"]
    await asyncio.gather(
        *(_client(host, port, requests, until, [], warm) for _ in range(spec["clients"]))
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    until = started + spec["seconds"]
    await asyncio.gather(
        *(_client(host, port, requests, until, latencies, statuses) for _ in range(spec["clients"]))
    )
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / seconds),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "statuses": statuses,
        "warmup_statuses": warm,
        "client_cpu_us_per_request": round(cpu / max(1, len(latencies)) * 1e6, 1),
        "client_cpu_share_of_one_core": round(cpu / seconds, 2),
    }


def _load(path: str) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    spec = json.loads(Path(path).read_text())
    print(json.dumps(asyncio.run(_load_async(spec))))


# -- orchestration ------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _seed(database_url: str, rows: int) -> tuple[list[str], str]:
    """``rows`` portal states of system ``test`` and an ``ixhaus`` API key."""
    from sqlalchemy import insert, text

    from app.adapters.store.api_keys import ApiKeyRepository
    from app.adapters.store.database import create_engine, create_session_factory
    from app.adapters.store.models import TicketPortalState

    engine = create_engine(database_url)
    now = datetime.now(UTC)
    numbers = [str(100_000 + i) for i in range(rows)]
    states = [
        {
            "system": "test",
            "ticket_number": n,
            "transferred": i % 4 != 0,
            "portal_status": "open" if i % 4 else None,
            "reason_code": None if i % 4 else "T3",
            "reason_text": None if i % 4 else "Ticket type not enabled for the portal",
            "last_portal_change_at": now if i % 3 == 0 else None,
            "last_portal_change": "message from the tenant" if i % 3 == 0 else None,
            "updated_at": now,
        }
        for i, n in enumerate(numbers)
    ]
    try:
        async with create_session_factory(engine)() as session:
            for start in range(0, rows, 5000):
                await session.execute(insert(TicketPortalState), states[start : start + 5000])
            _, key = await ApiKeyRepository(session).create("benchmark", "ixhaus")
            await session.commit()
            # Planner statistics, as autovacuum would have them on a live table (without them
            # PostgreSQL scans every row of the system for the IN list).
            await session.execute(text("ANALYZE ticket_portal_states"))
            await session.commit()
    finally:
        await engine.dispose()
    return numbers, key


def _request_bytes(port: int, numbers: list[str], key: str | None) -> str:
    query = "&".join(f"number={n}" for n in numbers)
    auth = f"X-API-Key: {key}\r\n" if key else ""
    return f"GET {PATH}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n"


def _wait_live(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


def machine() -> dict[str, Any]:
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from app.adapters.store import migrate
    from app.environment import normalise_database_url

    name = f"pgw_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    database_url = normalise_database_url(f"{ADMIN_URL.rpartition('/')[0]}/{name}")
    tmp = Path(tempfile.mkdtemp(prefix="pgw-bench-serving-"))
    processes: list[subprocess.Popen[bytes]] = []
    load_before = machine()
    try:
        migrate.upgrade(database_url)
        numbers, key = asyncio.run(_seed(database_url, args.rows))
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "ARQ_QUEUE_NAME": f"pgw-bench:{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
        }
        ports = {"gateway": _free_port(), "bare": _free_port()}
        commands = {
            "gateway": [sys.executable, "-m", "app.cli", "serve", "--port", str(ports["gateway"]),
                        "--workers", str(args.workers)],
            "bare": [sys.executable, __file__, "--serve-bare", str(ports["bare"]),
                     "--workers", str(args.workers)],
        }  # fmt: skip
        for target, command in commands.items():
            with (tmp / f"{target}.log").open("ab") as out:
                processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)  # noqa: S603
                )
        _wait_live(f"http://127.0.0.1:{ports['gateway']}/health/live", processes[0])
        _wait_live(f"http://127.0.0.1:{ports['bare']}/", processes[1])

        rng = random.Random(1)
        request_sets = []
        for _ in range(16):
            asked = rng.sample(numbers, args.numbers - args.numbers // 10)
            asked += [str(900_000 + rng.randrange(99_999)) for _ in range(args.numbers // 10)]
            rng.shuffle(asked)
            request_sets.append(asked)
        specs: dict[str, Path] = {}
        for target, port in ports.items():
            spec = {
                "host": "127.0.0.1",
                "port": port,
                "clients": args.clients,
                "seconds": args.seconds,
                "warmup_seconds": args.warmup,
                "requests": [
                    _request_bytes(port, asked, key if target == "gateway" else None)
                    for asked in request_sets
                ],
            }
            specs[target] = tmp / f"{target}.json"
            specs[target].write_text(json.dumps(spec))

        # Both answer the same JSON for the same question.
        import httpx

        query = [("number", n) for n in request_sets[0]]
        same = [
            httpx.get(
                f"http://127.0.0.1:{port}{PATH}",
                params=query,
                headers={"X-API-Key": key},
                timeout=10,
            ).json()
            for port in ports.values()
        ]
        if same[0] != same[1]:
            raise RuntimeError(f"the gateway and the bare handler answer differently: {same}")

        rounds: dict[str, list[dict[str, Any]]] = {"gateway": [], "bare": []}
        for _ in range(args.rounds):
            for target in ("gateway", "bare"):
                out = subprocess.run(  # noqa: S603 - our own interpreter and script
                    [sys.executable, __file__, "--load", str(specs[target])],
                    check=True,
                    capture_output=True,
                    env=env,
                )
                result = json.loads(out.stdout)
                result["load_average_1m"] = round(os.getloadavg()[0], 2)
                rounds[target].append(result)

        def median(target: str, field: str) -> float:
            return float(statistics.median(r[field] for r in rounds[target]))

        summary = {
            target: {
                field: median(target, field)
                for field in ("req_per_s", "p50_ms", "p99_ms", "client_cpu_us_per_request")
            }
            for target in rounds
        }
        ratio = summary["gateway"]["req_per_s"] / summary["bare"]["req_per_s"]
        return {
            "benchmark": "portal_status_serving",
            "machine_before": load_before,
            "machine_after": machine(),
            "workers": args.workers,
            "clients": args.clients,
            "numbers_per_request": args.numbers,
            "unknown_per_request": args.numbers // 10,
            "rows": args.rows,
            "seconds_per_round": args.seconds,
            "rounds": rounds,
            "median": summary,
            "gateway_share_of_bare": round(ratio, 3),
            "targets": {
                "share_of_bare_at_least_0.8": ratio >= 0.8,
                "gateway_p99_under_50_ms": summary["gateway"]["p99_ms"] < 50,
            },
        }
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--numbers", type=int, default=100)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        _serve_bare(args.serve_bare, args.workers)
    elif args.load:
        _load(args.load)
    else:
        print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
