"""A burst of 500 signed callbacks - 10 % duplicates, shuffled (a message's event often
arrives before its ticket's), and the worker SIGKILLed mid-burst - ends with every effect
exactly once: one iX-Haus ticket per tenant ticket, one note per public message (rows
counted in the sandbox iX-Haus).

Real PostgreSQL, Redis, the gateway under uvicorn and ``portal-gateway worker`` processes.
The simulator's own callbacks are off: the benchmark builds and signs the envelopes from
what the tenants did, so it controls duplicates and order. Prints JSON.

    python benchmarks/inbound_burst.py [--events 500] [--tickets 25]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import func, select

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.ixhaus.schema import IxhausTables
from benchmarks.inbound_harness import CALLBACK_SECRET, machine, quiet, stack


def _envelope(kind: str, ticket: str, **data: str) -> bytes:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": kind,
            "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"ticketId": ticket, **data},
        }
    ).encode()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet()
    async with stack() as s:
        base = s.start_gateway()
        worker = s.start_worker(INBOUND_POLL_TICK_SECONDS="60")
        tenant = await s.tenant()
        unique = int(args.events * 0.9)
        bodies: list[bytes] = []
        tickets: list[str] = []
        messages: list[str] = []
        for i in range(args.tickets):
            created = await s.sandbox(
                "POST", "/tenant/tickets", json={**tenant, "subject": f"Burst {i}"}
            )
            tickets.append(created["id"])
            bodies.append(_envelope("ticket.created", created["id"]))
        while len(bodies) < unique:
            ticket = tickets[len(bodies) % len(tickets)]
            message = await s.sandbox(
                "POST",
                f"/tenant/tickets/{ticket}/messages",
                json={"contactId": tenant["contactId"], "content": f"Nachricht {len(bodies)}"},
            )
            messages.append(message["id"])
            bodies.append(_envelope("ticket.message.created", ticket, messageId=message["id"]))
        bodies += random.choices(bodies, k=args.events - unique)  # 10 % duplicates
        random.shuffle(bodies)  # reordered

        statuses: dict[int, int] = {}
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def sender(http: httpx.AsyncClient) -> None:
            while not queue.empty():
                body = queue.get_nowait()
                headers = {SIGNATURE_HEADER: sign(body, [CALLBACK_SECRET])}
                response = await http.post(
                    "/api/v1/systems/test/callbacks/casavi", content=body, headers=headers
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            await asyncio.gather(*(sender(http) for _ in range(16)))
        posted = time.perf_counter() - started

        async def done_count() -> int:
            rows = await s.services.inbox.list("test", status="done", limit=100_000)
            return len([e for e in rows if not e.external_id.startswith("poll:")])

        # SIGKILL the worker once about a third of the events are applied.
        while await done_count() < unique // 3:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.02)
        killed_after = await done_count()
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        s.start_worker(INBOUND_POLL_TICK_SECONDS="60")
        deadline = time.monotonic() + 300
        while await done_count() < unique and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        seconds = time.perf_counter() - started

        t = IxhausTables()
        async with s.ixhaus.connect() as conn:
            ticket_rows = await conn.scalar(
                select(func.count())
                .select_from(t.tickets)
                .where(t.tickets.c.source_ref.in_(tickets))
            )
            distinct_tickets = await conn.scalar(
                select(func.count(func.distinct(t.tickets.c.source_ref))).where(
                    t.tickets.c.source_ref.in_(tickets)
                )
            )
            note_rows = await conn.scalar(
                select(func.count()).select_from(t.notes).where(t.notes.c.source_ref.in_(messages))
            )
            distinct_notes = await conn.scalar(
                select(func.count(func.distinct(t.notes.c.source_ref))).where(
                    t.notes.c.source_ref.in_(messages)
                )
            )
        inbox = await s.services.inbox.list("test", status=None, limit=100_000)
        callbacks = [e for e in inbox if not e.external_id.startswith("poll:")]
        return {
            "benchmark": "inbound_burst",
            "machine": machine(),
            "callbacks_posted": len(bodies),
            "duplicates": args.events - unique,
            "http_statuses": statuses,
            "posting_seconds": round(posted, 2),
            "worker_sigkilled_after_events_done": killed_after,
            "seconds_until_all_applied": round(seconds, 2),
            "inbox_callback_rows": len(callbacks),
            "inbox_statuses": {
                status: len([e for e in callbacks if e.status == status])
                for status in {e.status for e in callbacks}
            },
            "tenant_tickets": len(tickets),
            "ixhaus_ticket_rows": ticket_rows,
            "ixhaus_distinct_tickets": distinct_tickets,
            "public_messages": len(messages),
            "ixhaus_note_rows": note_rows,
            "ixhaus_distinct_notes": distinct_notes,
            "exactly_once": ticket_rows == len(tickets) and note_rows == len(messages),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=25)
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
