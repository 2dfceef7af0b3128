"""Signed callback acceptance with the durable inbox: callbacks per second the gateway
verifies, stores (one INSERT ... ON CONFLICT DO NOTHING) and enqueues (arq on Redis),
answering 202 each.

The gateway runs under uvicorn (``--workers``, default 2 = the target's 2 cores) on a fresh
PostgreSQL database; the load comes from raw keep-alive HTTP/1.1 connections in this process
with bodies signed beforehand (no client library in the measured path). 10 % of the events
are duplicates (same event id). Prints JSON; the inbox row count is checked afterwards.

    python benchmarks/inbound_callbacks.py [--events 20000] [--connections 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.store.models import InboxEvent
from benchmarks.inbound_harness import CALLBACK_SECRET, machine, quiet, stack

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


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    async with stack() as s:
        base = s.start_gateway(workers=args.workers)
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
        unique = int(args.events * 0.9)
        ids = [f"evt_{uuid.uuid4().hex}" for _ in range(unique)]
        ids += random.choices(ids, k=args.events - unique)  # 10 % duplicates
        random.shuffle(ids)
        tickets = [f"cv-bench-{i}" for i in range(200)]
        requests = [_request(host, port, i, random.choice(tickets)) for i in ids]
        # Warm-up: every uvicorn worker has its engine, Redis pool and secret cache.
        warm: dict[int, int] = {}
        await asyncio.gather(
            *(_connection(host, port, [_request(host, port, f"warm-{i}-{j}", "cv-w")
                                       for j in range(5)], warm)
              for i in range(args.connections))
        )  # fmt: skip
        statuses: dict[int, int] = {}
        chunks = [requests[i :: args.connections] for i in range(args.connections)]
        started = time.perf_counter()
        await asyncio.gather(*(_connection(host, port, chunk, statuses) for chunk in chunks))
        seconds = time.perf_counter() - started
        async with s.services.inbox._sessions() as session:
            stored = await session.scalar(
                select(func.count())
                .select_from(InboxEvent)
                .where(InboxEvent.external_id.in_(set(ids)))
            )
        return {
            "benchmark": "inbound_callback_acceptance",
            "machine": machine(),
            "gateway_workers": args.workers,
            "connections": args.connections,
            "requests": args.events,
            "duplicates": args.events - unique,
            "seconds": round(seconds, 2),
            "accepted_per_second": round(args.events / seconds),
            "statuses": statuses,
            "warmup_statuses": warm,
            "inbox_rows": stored,
            "inbox_rows_expected": unique,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
