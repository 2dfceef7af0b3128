"""Signed callback acceptance with the durable inbox: callbacks per second the gateway
verifies, stores (one INSERT ... ON CONFLICT DO NOTHING) and enqueues (arq on Redis),
answering 202 each, beside a **bare** reference in the same run: one Litestar POST handler
under the same uvicorn settings that reads the body's id and writes one row (the same
``INSERT ... ON CONFLICT DO NOTHING`` into the inbox table, autocommit), nothing else. The two
are loaded alternately for ``--rounds`` rounds of ``--events`` requests each.

The gateway runs under uvicorn (``--workers``, default 2 = the target's 2 cores) on a fresh
PostgreSQL database; the load comes from raw keep-alive HTTP/1.1 connections in this process
with bodies signed beforehand (no client library in the measured path). 10 % of the events
are duplicates (same event id). Prints JSON; the inbox row count is checked afterwards.

    python benchmarks/inbound_callbacks.py [--events 10000] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar import Litestar, Request, post
from sqlalchemy import func, select

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.store.models import InboxEvent
from benchmarks.inbound_harness import CALLBACK_SECRET, free_port, machine, quiet, stack

PATH = "/api/v1/systems/test/callbacks/casavi"


def _request(host: str, port: int, event_id: str, ticket: str) -> bytes:
    body = json.dumps(
        {
            "id": event_id,
            "type": "ticket.message.created",
            "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"ticketId": ticket, "messageId": f"m-{event_id}"},
        }
    ).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{SIGNATURE_HEADER}: {sign(body, [CALLBACK_SECRET])}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    host: str, port: int, requests: list[bytes], statuses: dict[int, int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            writer.write(request)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def bare_app() -> Litestar:
    """The reference: read the event id, write one inbox row (autocommit), answer 202."""
    import os

    from app.adapters.store.database import create_engine
    from app.adapters.store.inbox import _skip_duplicates
    from app.environment import load_settings

    # The gateway's pool size (DATABASE_POOL_SIZE), so both wait for connections alike.
    engine = create_engine(os.environ["DATABASE_URL"], pool_size=load_settings().database_pool_size)
    statement = _skip_duplicates("postgresql")

    @post("/api/v1/systems/{system:str}/callbacks/casavi", status_code=202)
    async def accept(request: Request[Any, Any, Any], system: str) -> dict[str, Any]:
        event = json.loads(await request.body())
        row = {
            "source": f"bare:{system}",
            "external_id": event["id"],
            "system": system,
            "event_type": event["type"],
            "ticket_ref": event["data"]["ticketId"],
            "occurred_at": datetime.now(UTC),
            "received_at": datetime.now(UTC),
            "payload": event,
            "status": "done",
            "attempts": 0,
        }
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            stored = (await auto.execute(statement, [row])).all()
        return {"eventId": event["id"], "duplicate": not stored}

    async def dispose() -> None:
        await engine.dispose()

    return Litestar([accept], on_shutdown=[dispose], logging_config=None)


def _events(count: int) -> list[tuple[str, str]]:
    unique = int(count * 0.9)
    ids = [f"evt_{uuid.uuid4().hex}" for _ in range(unique)]
    ids += random.choices(ids, k=count - unique)  # 10 % duplicates
    random.shuffle(ids)
    tickets = [f"cv-bench-{i}" for i in range(200)]
    return [(i, random.choice(tickets)) for i in ids]


async def _round(port: int, events: list[tuple[str, str]], connections: int) -> dict[str, Any]:
    host = "127.0.0.1"
    requests = [_request(host, port, event_id, ticket) for event_id, ticket in events]
    statuses: dict[int, int] = {}
    chunks = [requests[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, chunk, statuses) for chunk in chunks))
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "per_second": round(len(events) / seconds),
        "statuses": statuses,
        "load_average_1m": machine()["load_average_1m"],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    async with stack() as s:
        base = s.start_gateway(workers=args.workers)
        bare_port = free_port()
        s._spawn(
            [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.inbound_callbacks:bare_app",
             "--host", "127.0.0.1", "--port", str(bare_port), "--workers", str(args.workers),
             "--log-level", "warning", "--no-access-log"],
            "bare",
        )  # fmt: skip
        ports = {"gateway": int(base.rsplit(":", 1)[1]), "bare": bare_port}
        # Warm-up: every uvicorn worker has its engine, Redis pool and secret cache.
        deadline = time.monotonic() + 30
        for port in ports.values():
            while True:
                try:
                    await _round(port, _events(args.connections * 5), args.connections)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        rounds: dict[str, list[dict[str, Any]]] = {"gateway": [], "bare": []}
        gateway_ids: set[str] = set()
        for _ in range(args.rounds):
            for target, port in ports.items():
                events = _events(args.events)
                if target == "gateway":
                    gateway_ids.update(event_id for event_id, _ in events)
                rounds[target].append(await _round(port, events, args.connections))
        stored = 0
        ids = sorted(gateway_ids)
        async with s.services.inbox._sessions() as session:
            # In pieces: a statement takes at most 32,767 parameters (4 rounds exceed it).
            for start in range(0, len(ids), 10_000):
                stored += (
                    await session.scalar(
                        select(func.count())
                        .select_from(InboxEvent)
                        .where(
                            InboxEvent.external_id.in_(ids[start : start + 10_000]),
                            InboxEvent.source == "casavi:test",
                        )
                    )
                    or 0
                )
        median = {
            target: statistics.median(r["per_second"] for r in results)
            for target, results in rounds.items()
        }
        return {
            "benchmark": "inbound_callback_acceptance",
            "machine": machine(),
            "gateway_workers": args.workers,
            "connections": args.connections,
            "requests_per_round": args.events,
            "duplicates_per_round": args.events - int(args.events * 0.9),
            "rounds": rounds,
            "median_per_second": median,
            "gateway_share_of_bare": round(median["gateway"] / median["bare"], 3),
            "gateway_inbox_rows": stored,
            "gateway_inbox_rows_expected": len(gateway_ids),
            # Every distinct event stored once: otherwise the rate measured refusals.
            "valid": stored == len(gateway_ids),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    result = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps(result, indent=2))
    if not result["valid"]:
        sys.exit("the gateway did not store every event: the rate is not acceptance")


if __name__ == "__main__":
    main()
