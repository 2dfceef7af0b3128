"""The reader streams: memory stays flat however many records pass through.

Seeds the ``medium`` profile (8,000 notes, 4,000 persons, 4,000 documents) and compares the
Python heap peak of streaming everything with materialising the same records in a list.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.ixhaus.reader import IxhausReader
from app.sandbox.ixhaus import seed

MiB = 2**20


async def _peak_streaming(stream: AsyncIterator[Any]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = 0
        async for _ in stream:
            count += 1
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def _peak_list(stream: AsyncIterator[Any]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        records = [r async for r in stream]
        return len(records), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_reader_memory_stays_flat(engine: AsyncEngine) -> None:
    report = await seed(engine, "medium", seed=11, today=date(2026, 6, 15))
    reader = IxhausReader(engine, batch_size=500)
    for entity in ("notes", "persons", "documents"):
        streamed, stream_peak = await _peak_streaming(getattr(reader, entity)())
        listed, list_peak = await _peak_list(getattr(reader, entity)())
        assert streamed == listed == report.counts[entity]
        # A list of every record needs several times the heap of one 500-row partition.
        assert stream_peak * 2.5 < list_peak, (entity, stream_peak, list_peak)
        assert stream_peak < 3 * MiB, (entity, stream_peak)
    # Flat, not just smaller: a 4x longer stream does not raise the peak meaningfully.
    _, short_peak = await _peak_streaming(_take(reader.notes(), 2000))
    _, full_peak = await _peak_streaming(reader.notes())
    assert full_peak < short_peak * 1.5 + 256 * 1024, (short_peak, full_peak)


async def _take(stream: AsyncIterator[Any], n: int) -> AsyncIterator[Any]:
    assert isinstance(stream, AsyncGenerator)  # the reader's streams are generators
    i = 0
    try:
        async for record in stream:
            yield record
            i += 1
            if i >= n:
                break
    finally:
        await stream.aclose()  # release the server-side cursor and the connection now
