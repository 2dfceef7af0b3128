"""Cost of the notes stage (N1/N2, echo suppression) in a run, and latency of the triggers of
iX-Haus plus (push one ticket / one note now), over a sandbox portfolio.

casavi is replaced by a writer that only counts (the gateway's own cost: reading iX-Haus,
deciding, fingerprints, note links, ledger, S1/S2 and base writes). Prints JSON. Both
databases are fresh PostgreSQL databases, dropped afterwards.

    python benchmarks/notes_triggers.py [--profile medium] [--triggers 50]
        [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import select

from app.adapters.factories import open_system_adapters
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import TicketPortalState
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.domain.keys import EntityKind, RecordKey
from app.environment import normalise_database_url
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import seed_database
from app.sync.context import SystemAdapters
from app.sync.ports import PortalRecord, SystemSettings
from app.sync.queue import NoQueue
from app.sync.runs import execute_run
from app.sync.tickets import push_note, push_ticket


class CountingPortal:
    def __init__(self) -> None:
        self.puts: dict[str, int] = {}

    async def put(
        self,
        key: RecordKey,
        record: PortalRecord,
        *,
        exists: bool = False,
        casavi_id: str | None = None,
    ) -> str:
        self.puts[key.kind.value] = self.puts.get(key.kind.value, 0) + 1
        return key.reference_id

    async def remove(self, key: RecordKey, *, casavi_id: str | None = None) -> None:
        return None


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def run(profile: str, triggers: int, admin_url: str) -> dict[str, Any]:
    base = admin_url.rpartition("/")[0]
    names = [f"pgw_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        await _admin(admin_url, f'CREATE DATABASE "{name}"')
    gateway_url = normalise_database_url(f"{base}/{names[0]}")
    ixhaus_url = f"{base}/{names[1]}"
    try:
        await asyncio.to_thread(migrate.upgrade, gateway_url)
        report = await seed_database(ixhaus_url, profile, 1)
        engine = create_engine(gateway_url)
        sessions = create_session_factory(engine)
        box = SecretBox(new_key())
        async with sessions() as session:
            await ConfigRows(session, box).patch(
                "test",
                {
                    **sandbox_config_patch(profile),
                    "active": True,
                    "casavi": {"baseUrl": "http://127.0.0.1:9"},
                    "secrets": {
                        "ixhausDatabaseUrl": _twice(ixhaus_url),
                        "casaviApiKey": _twice("k"),
                        "casaviSecret": _twice("s"),
                    },
                },
                "benchmark",
            )
        portal = CountingPortal()

        async def adapters(settings: SystemSettings) -> SystemAdapters:
            real = await open_system_adapters(settings)
            return SystemAdapters(
                source=real.source, writer=real.writer, portal=portal, close=real.close
            )

        services = build_services(sessions, box, NoQueue(), adapters=adapters)

        async def one_run() -> dict[str, Any]:
            portal.puts = {}
            row, _ = await services.runs.request("test", trigger="benchmark", requested_by=None)
            t0 = time.perf_counter()
            await execute_run(services, row.id)
            seconds = time.perf_counter() - t0
            done = await services.runs.get(row.id)
            assert done is not None
            assert done.status == "succeeded", done.last_error
            return {
                "seconds": round(seconds, 2),
                "sent": done.sent,
                "errors": done.errors,
                "notes_sent": portal.puts.get(EntityKind.NOTE.value, 0),
            }

        first = await one_run()
        unchanged = await one_run()

        async with sessions() as session:
            numbers = list(
                await session.scalars(
                    select(TicketPortalState.ticket_number)
                    .where(TicketPortalState.transferred, TicketPortalState.portal_status == "open")
                    .limit(triggers * 4)
                )
            )
        t = IxhausTables()
        ix_engine = create_engine(normalise_database_url(ixhaus_url))
        async with ix_engine.connect() as conn:
            normal = list(
                await conn.scalars(
                    select(t.tickets.c.ticket_no)
                    .join(t.ticket_types, t.ticket_types.c.type_no == t.tickets.c.type_no)
                    .where(
                        t.ticket_types.c.portal_mode == "normal",
                        t.tickets.c.ticket_no.in_([int(n) for n in numbers]),
                    )
                    .limit(triggers)
                )
            )
        note_seconds: list[float] = []
        ticket_seconds: list[float] = []
        outcomes: dict[str, int] = {}
        for number in normal:
            async with ix_engine.begin() as conn:
                note_id = await conn.scalar(
                    t.notes.insert()
                    .values(
                        ticket_no=number,
                        author_user_no="001",
                        created_at=datetime.now(UTC),
                        content="Der Techniker kommt morgen.",
                        internal=False,
                    )
                    .returning(t.notes.c.note_id)
                )
            t0 = time.perf_counter()
            result = await push_note(services, "test", str(number), str(note_id))
            note_seconds.append(time.perf_counter() - t0)
            outcomes[f"note_{result.outcome}"] = outcomes.get(f"note_{result.outcome}", 0) + 1
            t0 = time.perf_counter()
            pushed = await push_ticket(services, "test", str(number))
            ticket_seconds.append(time.perf_counter() - t0)
            outcomes[f"ticket_{pushed.outcome}"] = outcomes.get(f"ticket_{pushed.outcome}", 0) + 1
        await ix_engine.dispose()
        await services.aclose()
        await engine.dispose()
        return {
            "benchmark": "notes_triggers",
            "profile": profile,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "portfolio": report.counts,
            "run_first_export": first,
            "run_nothing_changed": unchanged,
            "push_note": _ms(note_seconds),
            "push_ticket": _ms(ticket_seconds),
            "trigger_outcomes": outcomes,
        }
    finally:
        for name in names:
            await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--triggers", type=int, default=50)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.profile, args.triggers, args.admin_url)), indent=2))


if __name__ == "__main__":
    main()
