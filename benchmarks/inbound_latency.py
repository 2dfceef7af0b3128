"""Tenant message in casavi -> iX-Haus note committed: latency under a steady load.

``--mode callback``: the casavi simulator calls the gateway back (signed), the gateway stores
the event and queues the ticket's job (which wakes the worker), an arq worker (``poll_delay``
0.05 s as a fallback) writes the note.
``--mode poll``: callbacks off; the worker's poll finds the change (every ``--interval`` s);
the note's arrival is seen by reading the notes table every 20 ms.

Real PostgreSQL (gateway state and a seeded iX-Haus sandbox), Redis, the gateway under uvicorn
and ``portal-gateway worker`` as separate processes. Latency = from the tenant's request to the
event marked done, right after the note's commit (an upper bound: the done mark is one more
round trip; clocks are this machine's). Prints JSON.

    python benchmarks/inbound_latency.py [--mode callback] [--rate 20] [--seconds 60]
    python benchmarks/inbound_latency.py --mode poll --interval 5 --rate 1 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.adapters.ixhaus.schema import IxhausTables
from benchmarks.inbound_harness import Stack, machine, percentile, quiet, stack


async def _wait(check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.05)


async def measure(s: Stack, mode: str, rate: float, seconds: float, tickets: int) -> dict[str, Any]:
    s.start_gateway()
    if mode == "callback":
        await s.callbacks_to_gateway()
    s.start_worker(INBOUND_POLL_TICK_SECONDS="1")
    tenant = await s.tenant()
    refs = []
    for i in range(tickets):
        created = await s.sandbox(
            "POST", "/tenant/tickets", json={**tenant, "subject": f"Benchmark {i}"}
        )
        refs.append(created["id"])

    async def all_tickets() -> bool:
        return all([await s.count("tickets", source_ref=ref) == 1 for ref in refs])

    await _wait(all_tickets, 120)
    notes = IxhausTables().notes
    notes_before = await s.count("notes")
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    seen: dict[str, float] = {}
    sending = True

    async def watch() -> None:
        while sending or len(seen) < len(sent):
            pending = [ref for ref in sent if ref not in seen]
            if pending:
                async with s.ixhaus.connect() as conn:
                    found = (
                        await conn.scalars(
                            select(notes.c.source_ref).where(notes.c.source_ref.in_(pending))
                        )
                    ).all()
                now = time.perf_counter()
                for ref in found:
                    seen[str(ref)] = now
            await asyncio.sleep(0.2 if mode == "callback" else 0.02)

    watcher = asyncio.create_task(watch())
    interval = 1 / rate
    start = time.perf_counter()
    count = int(rate * seconds)
    for i in range(count):
        target = start + i * interval
        await asyncio.sleep(max(0.0, target - time.perf_counter()))
        t0 = time.perf_counter()
        wall = time.time()
        message = await s.sandbox(
            "POST",
            f"/tenant/tickets/{refs[i % len(refs)]}/messages",
            json={"contactId": tenant["contactId"], "content": f"Nachricht {i}"},
        )
        sent[message["id"]] = t0
        sent_wall[message["id"]] = wall
    sending = False
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, timeout=60 + (0 if mode == "callback" else seconds))
    # Where the time goes: casavi -> gateway (stored in the inbox) -> job done.
    latencies: list[float] = []
    stored_ms: list[float] = []
    processed_ms: list[float] = []
    for event in await s.services.inbox.list("test", status=None, limit=100_000):
        ref = event.payload.get("data", {}).get("messageId")
        if ref in sent_wall:
            stored_ms.append((event.received_at.timestamp() - sent_wall[ref]) * 1000)
            if event.processed_at is not None:
                processed_ms.append((event.processed_at - event.received_at).total_seconds() * 1000)
                # The note is committed before its event is marked done: an upper bound.
                latencies.append(event.processed_at.timestamp() - sent_wall[ref])
    if mode == "poll":
        # Polled events name the ticket, not the message: the note's arrival is seen by
        # reading the notes table every 20 ms (at most 20 ms late).
        latencies = [seen[ref] - sent[ref] for ref in sent if ref in seen]
    ms = [round(v * 1000, 1) for v in latencies]
    return {
        "events": count,
        "arrived": len(latencies),
        "offered_rate_per_s": rate,
        "achieved_rate_per_s": round(count / max(time.perf_counter() - start, 1e-9), 1),
        "latency_ms": {
            "p50": percentile(ms, 50),
            "p90": percentile(ms, 90),
            "p99": percentile(ms, 99),
            "max": max(ms, default=float("nan")),
        },
        "stored_in_inbox_ms": {"p50": percentile(stored_ms, 50), "p99": percentile(stored_ms, 99)},
        "stored_to_processed_ms": {
            "p50": percentile(processed_ms, 50),
            "p99": percentile(processed_ms, 99),
        },
        "notes_written": await s.count("notes") - notes_before,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    config: dict[str, Any] = {}
    if args.mode == "poll":
        config = {"inbound": {"callbacksEnabled": False, "pollSeconds": args.interval}}
    async with stack(config=config) as s:
        result = await measure(s, args.mode, args.rate, args.seconds, args.tickets)
    return {
        "benchmark": f"inbound_latency_{args.mode}",
        "machine": machine(),
        "arq_poll_delay_s": 0.05,
        "poll_interval_s": args.interval if args.mode == "poll" else None,
        "seconds": args.seconds,
        "tickets": args.tickets,
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["callback", "poll"], default="callback")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tickets", type=int, default=10)
    parser.add_argument("--interval", type=int, default=5, help="poll mode: pollSeconds")
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
