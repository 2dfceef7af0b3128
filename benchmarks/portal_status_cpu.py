"""CPU per bulk portal-status request: the gateway app vs the bare handler, in one process.

The same question as ``portal_status_serving.py`` (100 numbers, 10 % unknown, an API key),
but without sockets or uvicorn: each app is called as ASGI directly, one request at a time,
on the same PostgreSQL database, in alternating batches. CPU time (``time.process_time``) per
request is what the server's own code costs, and it is far steadier than wall time on a shared
machine. ``--profile`` adds each app's top functions (cProfile, by own time).

    python benchmarks/portal_status_cpu.py [--requests 2000] [--batches 5] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.portal_status_serving import ADMIN_URL, PATH, REDIS_URL, _admin, _seed, bare_app

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]


async def _call(app: App, query: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _lifespan(app: App) -> Callable[[], Awaitable[None]]:
    """Start the app's lifespan; return a function that shuts it down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop


async def measure(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    from app.asgi import create_app
    from app.environment import get_settings

    numbers, key = await _seed(database_url, args.rows)
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, LOG_LEVEL="WARNING")
    os.environ["ARQ_QUEUE_NAME"] = f"pgw-bench:{uuid.uuid4().hex[:8]}"
    get_settings.cache_clear()
    apps: dict[str, App] = {"gateway": create_app(), "bare": bare_app()}
    stops = [await _lifespan(app) for app in apps.values()]
    rng = random.Random(1)
    queries = []
    for _ in range(16):
        asked = rng.sample(numbers, args.numbers - args.numbers // 10)
        asked += [str(900_000 + rng.randrange(99_999)) for _ in range(args.numbers // 10)]
        rng.shuffle(asked)
        queries.append("&".join(f"number={n}" for n in asked).encode())
    headers = {"gateway": [(b"x-api-key", key.encode())], "bare": []}
    per_batch = max(1, args.requests // args.batches)
    cpu: dict[str, list[float]] = {"gateway": [], "bare": []}
    wall: dict[str, list[float]] = {"gateway": [], "bare": []}
    profilers = {name: cProfile.Profile() for name in apps} if args.profile else {}
    try:
        for name, app in apps.items():  # warm up both (caches, pools, statements)
            for i in range(50):
                status = await _call(app, queries[i % 16], headers[name])
                if status != 200:
                    raise RuntimeError(f"{name} answered {status}")
        for _ in range(args.batches):
            for name, app in apps.items():
                if profilers:
                    profilers[name].enable()
                c0, w0 = time.process_time(), time.perf_counter()
                for i in range(per_batch):
                    await _call(app, queries[i % 16], headers[name])
                cpu[name].append((time.process_time() - c0) / per_batch * 1e6)
                wall[name].append((time.perf_counter() - w0) / per_batch * 1e6)
                if profilers:
                    profilers[name].disable()
    finally:
        for stop in stops:
            await stop()
    result: dict[str, Any] = {
        name: {
            "cpu_us_per_request_median": round(statistics.median(cpu[name]), 1),
            "cpu_us_per_request_batches": [round(x, 1) for x in cpu[name]],
            "wall_us_per_request_median": round(statistics.median(wall[name]), 1),
        }
        for name in apps
    }
    result["gateway_cpu_over_bare"] = round(
        statistics.median(cpu["gateway"]) / statistics.median(cpu["bare"]), 3
    )
    for name, profiler in profilers.items():
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort).print_stats(
            args.profile_top
        )
        result[f"profile_{name}"] = out.getvalue().splitlines()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per app, over all batches")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--numbers", type=int, default=100)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-top", type=int, default=40)
    parser.add_argument("--profile-sort", default="tottime", help="a pstats sort key")
    args = parser.parse_args()
    from app.adapters.store import migrate
    from app.environment import normalise_database_url

    name = f"pgw_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    database_url = normalise_database_url(f"{ADMIN_URL.rpartition('/')[0]}/{name}")
    load_before = os.getloadavg()
    try:
        migrate.upgrade(database_url)
        result = asyncio.run(measure(args, database_url))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    report = {
        "benchmark": "portal_status_cpu",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "requests_per_app": args.requests,
        "numbers_per_request": args.numbers,
        **result,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
