"""Seed the sandbox portfolio into a fresh PostgreSQL database and stream it back.

Prints JSON: seed seconds, row counts, and the reader's throughput (records/s) per entity
and overall, plus the peak Python heap during the reads. The database is dropped afterwards.

    python benchmarks/ixhaus_seed_and_read.py [--profile large] [--seed 1]
        [--admin-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from app.adapters.ixhaus.reader import IxhausReader
from app.sandbox.ixhaus import seed

ENTITIES = ("objects", "units", "persons", "contracts", "tickets", "notes", "documents")


async def _count(stream: AsyncIterator[Any]) -> int:
    n = 0
    async for _ in stream:
        n += 1
    return n


async def run(profile: str, seed_value: int, admin_url: str) -> dict[str, Any]:
    name = f"pgw_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rpartition("/")[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url)
    try:
        report = await seed(engine, profile, seed_value)
        reader = IxhausReader(engine)
        reads: dict[str, dict[str, float]] = {}
        total, total_seconds = 0, 0.0
        for entity in ENTITIES:
            started = time.perf_counter()
            n = await _count(getattr(reader, entity)())
            seconds = time.perf_counter() - started
            reads[entity] = {
                "records": n,
                "seconds": round(seconds, 3),
                "records_per_s": round(n / seconds),
            }
            total += n
            total_seconds += seconds
        # Heap peak on a second, separate pass (tracemalloc would distort the timings).
        tracemalloc.start()
        await _count(reader.notes())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return {
        "benchmark": "ixhaus_seed_and_read",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "profile": profile,
        "seed": seed_value,
        "seed_seconds": report.seconds,
        "rows_seeded": sum(report.counts.values()),
        "counts": report.counts,
        "read": reads,
        "read_total_records": total,
        "read_total_seconds": round(total_seconds, 3),
        "read_records_per_s": round(total / total_seconds),
        "notes_read_peak_heap_mib": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.profile, args.seed, args.admin_url)), indent=2))


if __name__ == "__main__":
    main()
