"""Cost of an outbound run over a sandbox portfolio: first export, nothing changed, changes.

casavi is replaced by a writer that only counts (the gateway's own cost: reading iX-Haus,
deciding every record, fingerprints, ledger and protocol writes). Prints JSON. Both databases
are fresh PostgreSQL databases, dropped afterwards.

Beside the no-change runs (``--repeat`` of them, median reported) the same reads are timed
with bare SQLAlchemy Core in the same process and run, alternating with the runs: every
interface table a run reads, streamed once (``yield_per``) with no mapping, plus the
system's ledger rows. ``ratio_to_bare_core`` is the no-change median over that median.

``one_percent_changed``: every 100th person, unit and ticket changed in iX-Haus, then one
run; beside it the same ledger rows and protocol lines that run wrote, written again with
bare Core (``bare_replay_of_the_sends``). ``ratio_to_no_change_plus_replay`` is the run over
the no-change median plus that replay.
``peak_rss_mb`` is this process's ``ru_maxrss`` (the portfolio is seeded in a child process,
so it is what the runs held, as a worker would).

    python benchmarks/outbound_sync.py [--profile large] [--changes 10] [--repeat 3]
        [--cprofile FILE]  (cProfile of the last no-change run)
        [--cprofile-changed FILE]  (cProfile of the 1 % changed run)
        [--cprofile-first FILE]  (cProfile of the first export)
        [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import cProfile
import gc
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import func, insert, select, tuple_, update

from app.adapters.factories import open_system_adapters
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.adapters.store.upsert import upsert
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.domain.keys import RecordKey
from app.environment import normalise_database_url
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import seed_database
from app.sync.context import SystemAdapters
from app.sync.ports import PortalRecord, SystemSettings
from app.sync.queue import NoQueue
from app.sync.runs import execute_run


class CountingPortal:
    """casavi replaced by a writer that only counts (the Portal port: prepare, remove,
    verify, is_empty); ``prepare`` maps nothing, so the casavi mapping is not measured."""

    def __init__(self) -> None:
        self.puts = 0
        self.removes = 0
        self.held = 0

    def prepare(self, key: RecordKey, record: PortalRecord, ids: Any) -> Any:
        async def write(presence: Any) -> str:
            self.puts += 1
            self.held += 1
            return key.reference_id

        return write

    async def remove(self, key: RecordKey, *, ids: Any) -> None:
        self.removes += 1

    async def verify(self) -> None:
        return None

    async def is_empty(self) -> bool:
        # A run over an empty ledger asks: this casavi holds what was put in this process.
        return self.held == 0


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


def _seed(url: str, profile: str) -> dict[str, int]:
    return asyncio.run(seed_database(url, profile, 1)).counts


async def seed_in_child(url: str, profile: str) -> dict[str, int]:
    """Seed in a child process: the generator's memory is not the gateway's peak RSS."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return await asyncio.get_running_loop().run_in_executor(pool, _seed, url, profile)


# Every interface table an outbound run without documents reads (the tickets with their
# status kind joined, as the reader does).
BARE_TABLES = (
    "objects",
    "units",
    "persons",
    "partner_relations",
    "contracts",
    "owners",
    "caretakers",
    "users",
    "teams",
    "team_members",
    "object_rights",
    "object_responsibles",
    "ticket_types",
    "ticket_statuses",
    "ticket_priorities",
    "work_orders",
    "notes",  # the public notes stage (N1/N2) reads every note
)


async def change_one_percent(ixhaus_url: str) -> dict[str, int]:
    """Every 100th person (phone), unit (description) and ticket (subject), by key."""
    tables = IxhausTables()
    persons, units, tickets = tables.persons.c, tables.units.c, tables.tickets.c
    changes = {
        "persons": (tables.persons, (persons.person_no,), "phone"),
        "units": (tables.units, (units.object_no, units.unit_no), "description"),
        "tickets": (tables.tickets, (tickets.ticket_no,), "subject"),
    }
    engine = create_engine(normalise_database_url(ixhaus_url))
    changed: dict[str, int] = {}
    try:
        async with engine.begin() as conn:
            for name, (table, key, column) in changes.items():
                keys = [tuple(k) for k in (await conn.execute(select(*key).order_by(*key))).all()]
                keys = keys[::100]
                value = func.coalesce(table.c[column], "") + " (1 %)"
                where = tuple_(*key).in_(keys)
                await conn.execute(update(table).where(where).values({column: value}))
                changed[name] = len(keys)
    finally:
        await engine.dispose()
    return changed


async def bare_replay(gateway_url: str, run_id: int) -> dict[str, Any]:
    """The ledger rows and protocol lines run ``run_id`` wrote, written again with bare Core
    (one upsert and one insert, one commit): what its sends cost the gateway's database."""
    engine = create_engine(gateway_url)
    links, protocol = EntityLink.__table__, ProtocolEntry.__table__
    try:
        async with engine.connect() as conn:
            lines = (
                (await conn.execute(select(protocol).where(protocol.c.run_id == run_id)))
                .mappings()
                .all()
            )
            keys = [line["entity_key"] for line in lines]
            rows = (
                (await conn.execute(select(links).where(links.c.ixhaus_key.in_(keys))))
                .mappings()
                .all()
            )
            await conn.rollback()
            link_rows = [{k: v for k, v in row.items() if k != "id"} for row in rows]
            line_rows = [{k: v for k, v in line.items() if k != "id"} for line in lines]
            statement = upsert(
                "postgresql",
                links,
                index=("system", "entity_type", "ixhaus_key"),
                update=[c for c in link_rows[0] if c not in ("system", "entity_type", "ixhaus_key")]
                if link_rows
                else [],
            )
            assert statement is not None
            cpu_started = time.process_time()
            started = time.perf_counter()
            if link_rows:
                await conn.execute(statement, link_rows)
            if line_rows:
                await conn.execute(insert(protocol), line_rows)
            await conn.commit()
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
    finally:
        await engine.dispose()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "ledger_rows": len(link_rows),
        "lines": len(lines),
    }


async def bare_core_reads(ixhaus_url: str, gateway_url: str, system: str) -> dict[str, Any]:
    """The reads of a no-change run with bare SQLAlchemy Core: each table once, streamed,
    rows iterated but not mapped; then the system's ledger rows."""
    tables = IxhausTables()
    ix_engine = create_engine(normalise_database_url(ixhaus_url))
    gw_engine = create_engine(gateway_url)
    t = tables.tickets
    statements = [select(tables.all()[name]) for name in BARE_TABLES]
    statements.append(
        select(t, tables.ticket_statuses.c.kind).select_from(
            t.outerjoin(tables.ticket_statuses, tables.ticket_statuses.c.status_no == t.c.status_no)
        )
    )
    link = EntityLink.__table__.c
    ledger = select(
        link.entity_type,
        link.ixhaus_key,
        link.id,
        link.fingerprint,
        link.state,
        link.casavi_id,
        link.reason_code,
        link.attempts,
        link.next_attempt_at,
    ).where(link.system == system)
    rows = 0
    try:
        # Connections are opened before the clock starts, as a warm pool would have them.
        async with ix_engine.connect() as ix, gw_engine.connect() as gw:
            cpu_started = time.process_time()
            started = time.perf_counter()
            for conn, stmt in [*((ix, s) for s in statements), (gw, ledger)]:
                result = await conn.stream(stmt.execution_options(yield_per=2000))
                async for partition in result.partitions():
                    for _row in partition:
                        rows += 1
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
    finally:
        await ix_engine.dispose()
        await gw_engine.dispose()
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "rows": rows}


def _settle_gc() -> None:
    try:
        from app.worker import settle_gc
    except ImportError:  # a tree from before settle_gc (a before/after comparison)
        gc.collect()
        gc.freeze()
    else:
        settle_gc()


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _GcClock:
    """Time spent in the garbage collector (``gc.callbacks``) since ``reset``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def reset(self) -> None:
        self.seconds, self.collections = 0.0, 0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1


async def run(
    profile: str,
    changes: int,
    admin_url: str,
    repeat: int = 3,
    profile_to: str | None = None,
    profile_changed_to: str | None = None,
    profile_first_to: str | None = None,
) -> dict[str, Any]:
    base = admin_url.rpartition("/")[0]
    names = [f"pgw_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        await _admin(admin_url, f'CREATE DATABASE "{name}"')
    gateway_url = normalise_database_url(f"{base}/{names[0]}")
    ixhaus_url = f"{base}/{names[1]}"
    try:
        await asyncio.to_thread(migrate.upgrade, gateway_url)
        started = time.perf_counter()
        counts = await seed_in_child(ixhaus_url, profile)
        seed_seconds = time.perf_counter() - started
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
        _settle_gc()  # as the worker does after its start-up

        gc_time = _GcClock()

        async def one_run() -> dict[str, Any]:
            portal.puts = portal.removes = 0
            row, _ = await services.runs.request("test", trigger="benchmark", requested_by=None)
            gc_time.reset()
            c0 = time.process_time()
            t0 = time.perf_counter()
            await execute_run(services, row.id)
            seconds = time.perf_counter() - t0
            cpu = time.process_time() - c0
            done = await services.runs.get(row.id)
            assert done is not None
            assert done.status == "succeeded", done.last_error
            return {
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "gc_seconds": round(gc_time.seconds, 2),
                "gc_collections": gc_time.collections,
                "sent": done.sent,
                "unchanged": done.unchanged,
                "excluded": done.excluded,
                "errors": done.errors,
                "writes_to_portal": portal.puts + portal.removes,
                "run_id": row.id,
            }

        if profile_first_to is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            first = await one_run()
            profiler.disable()
            profiler.dump_stats(profile_first_to)
        else:
            first = await one_run()
        first["peak_rss_mb_after"] = _peak_rss_mb()
        unchanged_runs: list[dict[str, Any]] = []
        bare_runs: list[dict[str, Any]] = []
        for i in range(max(repeat, 1)):
            bare_runs.append(await bare_core_reads(ixhaus_url, gateway_url, "test"))
            if profile_to is not None and i == max(repeat, 1) - 1:
                profiler = cProfile.Profile()
                profiler.enable()
                unchanged_runs.append(await one_run())
                profiler.disable()
                profiler.dump_stats(profile_to)
            else:
                unchanged_runs.append(await one_run())
        unchanged_seconds = [r["seconds"] for r in unchanged_runs]
        if profile_to is not None:
            unchanged_seconds = unchanged_seconds[:-1] or unchanged_seconds
        bare_seconds = [r["seconds"] for r in bare_runs]
        unchanged_cpu = [r["cpu_seconds"] for r in unchanged_runs]
        if profile_to is not None:
            unchanged_cpu = unchanged_cpu[:-1] or unchanged_cpu
        unchanged = {
            **unchanged_runs[0],
            "seconds": round(statistics.median(unchanged_seconds), 2),
            "cpu_seconds": round(statistics.median(unchanged_cpu), 2),
            "cpu_seconds_each": [r["cpu_seconds"] for r in unchanged_runs],
            "gc_seconds_each": [r["gc_seconds"] for r in unchanged_runs],
            "seconds_each": [r["seconds"] for r in unchanged_runs],
            "writes_to_portal": max(r["writes_to_portal"] for r in unchanged_runs),
        }
        bare = {
            "seconds": round(statistics.median(bare_seconds), 2),
            "seconds_each": bare_seconds,
            "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in bare_runs), 2),
            "rows": bare_runs[0]["rows"],
        }
        tickets = IxhausTables().tickets
        ix_engine = create_engine(normalise_database_url(ixhaus_url))
        async with ix_engine.begin() as conn:
            numbers = (
                await conn.scalars(
                    select(tickets.c.ticket_no)
                    .where(tickets.c.closed_at.is_(None), tickets.c.object_no == "1001")
                    .order_by(tickets.c.ticket_no)
                    .limit(changes)
                )
            ).all()
            await conn.execute(
                update(tickets)
                .where(tickets.c.ticket_no.in_(numbers))
                .values(subject="Heizung fällt aus (benchmark)")
            )
        await ix_engine.dispose()
        changed = await one_run()
        one_percent = await change_one_percent(ixhaus_url)
        if profile_changed_to is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            one_percent_run = await one_run()
            profiler.disable()
            profiler.dump_stats(profile_changed_to)
        else:
            one_percent_run = await one_run()
        replay = await bare_replay(gateway_url, one_percent_run["run_id"])
        await services.aclose()
        await engine.dispose()
        decided = first["sent"] + first["unchanged"] + first["excluded"] + first["errors"]
        return {
            "benchmark": "outbound_sync",
            "profile": profile,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "portfolio": counts,
            "seed_seconds": round(seed_seconds, 2),
            "first_export": first,
            "nothing_changed": unchanged,
            "bare_core_same_reads": bare,
            "ratio_to_bare_core": round(unchanged["seconds"] / max(bare["seconds"], 1e-9), 2),
            # This process's CPU only (PostgreSQL's is outside both): steadier when shared.
            "cpu_ratio_to_bare_core": round(
                unchanged["cpu_seconds"] / max(bare["cpu_seconds"], 1e-9), 2
            ),
            "tickets_changed_in_ixhaus": len(numbers),
            "after_changes": changed,
            "one_percent_changed": {
                "changed_in_ixhaus": one_percent,
                "run": one_percent_run,
                "bare_replay_of_the_sends": replay,
                "ratio_to_no_change_plus_replay": round(
                    one_percent_run["seconds"]
                    / max(unchanged["seconds"] + replay["seconds"], 1e-9),
                    2,
                ),
                # This process's CPU only (steadier on a shared machine).
                "cpu_ratio_to_no_change_plus_replay": round(
                    one_percent_run["cpu_seconds"]
                    / max(unchanged["cpu_seconds"] + replay["cpu_seconds"], 1e-9),
                    2,
                ),
            },
            "records_decided_per_run": decided,
            "unchanged_run_records_per_second": round(decided / max(unchanged["seconds"], 1e-9)),
            "peak_rss_mb": _peak_rss_mb(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        for name in names:
            await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="no-change runs (median)")
    parser.add_argument("--cprofile", default=None, help="cProfile the last no-change run")
    parser.add_argument("--cprofile-changed", default=None, help="cProfile the 1 %% changed run")
    parser.add_argument("--cprofile-first", default=None, help="cProfile the first export")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    result = asyncio.run(
        run(
            args.profile,
            args.changes,
            args.admin_url,
            args.repeat,
            args.cprofile,
            args.cprofile_changed,
            args.cprofile_first,
        )
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
