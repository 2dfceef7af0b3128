"""The DocuWare client against the simulator on loopback: downloads and paged searches.

Prints JSON: streamed download throughput (MB/s) and peak Python heap growth, side by side
with reading the same file whole (the thing the client must never do); and a paged search
over many documents (documents/s, requests, logons).

    python benchmarks/docuware_client.py [--size-mb 100] [--documents 20000] [--page 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

from app.adapters.docuware import DocuwareClient, DocuwareClientConfig, docuware_client
from app.sandbox.docuware import (
    SANDBOX_PASSWORD,
    SANDBOX_USER,
    ServerThread,
    create_docuware_simulator,
)
from app.sandbox.docuware.catalogue import MAIN_CABINET, make_document

MB = 1024 * 1024
BIG = 1


async def _measured(work: Callable[[], Awaitable[int]]) -> dict[str, float]:
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    size = await work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return {
        "mb": round(size / MB, 1),
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / MB / seconds, 1),
        "peak_heap_growth_mb": round(peak / MB, 2),
    }


async def run(size_mb: int, documents: int, page: int) -> dict[str, Any]:
    docs = [make_document(BIG, size=size_mb * MB)]
    docs += [make_document(n, recipient_header_id=str(n)) for n in range(2, documents + 2)]
    app = create_docuware_simulator(documents=docs, page_size=page)
    thread = ServerThread(app).start()
    config = DocuwareClientConfig(
        base_url=thread.base_url, username=SANDBOX_USER, password=SANDBOX_PASSWORD, page_size=page
    )
    client: DocuwareClient = docuware_client(config)
    try:
        await client.logon()

        async def streamed() -> int:
            total = 0
            async for chunk in client.download(MAIN_CABINET, BIG):
                total += len(chunk)
            return total

        async def whole() -> int:
            path = f"/DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Documents/{BIG}/FileDownload"
            response = await client.http.request("GET", path)
            return len(response.content)

        async def search() -> int:
            return len([d async for d in client.search(MAIN_CABINET)])

        started = time.perf_counter()
        found = await search()
        search_seconds = time.perf_counter() - started
        return {
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "download_streamed": await _measured(streamed),
            "download_whole_for_comparison": await _measured(whole),
            "search": {
                "documents": found,
                "page_size": page,
                "requests": app.simulator.stats.searches,
                "seconds": round(search_seconds, 3),
                "documents_per_s": round(found / search_seconds),
                "logons": client.logons,
            },
        }
    finally:
        await client.aclose()
        thread.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    result = asyncio.run(run(args.size_mb, args.documents, args.page))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
