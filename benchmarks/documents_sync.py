"""Documents from the DocuWare simulator to the casavi simulator, as the worker sends them.

Prints JSON with, side by side in one run:

- ``gateway_transfer``: one large document (default 100 MB) through the gateway's document
  flow (``DocuwareContents`` -> ``CasaviDocuments.prepare_document``: DocuWare ``FileDownload``
  piped into casavi's streamed multipart upload): seconds, MB/s, and the worker's peak RSS
  growth (RSS sampled every 2 ms; both simulators run in a child process, so their memory
  does not count);
- ``plain_httpx_copy``: the same bytes copied by two plain ``httpx.AsyncClient`` streams
  between the same two simulators (the baseline), and the gateway's throughput as a ratio
  (the two alternate ``--repeat`` times; the median round of each is reported, with the
  worst RSS growth);
- ``no_change_run``: the documents stage over many DocuWare documents twice; the second run
  must upload nothing (``uploads`` counted by the casavi simulator);
- ``no_change_scan``: the stage over ``--scan`` more documents (default 100,000, the
  ``large`` portfolio's count) with the ledger primed as a completed first run leaves it:
  DocuWare search paging, decisions and fingerprints, 0 uploads.

    python benchmarks/documents_sync.py [--size-mb 100] [--documents 2000] [--repeat 3]
        [--scan 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.document_portal import CasaviDocuments
from app.adapters.casavi.documents import MultipartUpload
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.casavi.wire_tickets import DocumentWrite
from app.adapters.document_contents import DocuwareContents, docuware_location
from app.adapters.docuware import DocuwareClientConfig, docuware_client
from app.adapters.docuware.documents import DocuwareDocuments
from app.domain.config import SyncConfig, ranges
from app.domain.decisions import Transfer
from app.domain.fingerprint import fingerprint
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalDocument
from app.domain.records import DocumentTypeRecord
from app.sync.outbound.documents import (
    CONCURRENCY,
    KIND,
    DocumentTypes,
    docuware_decisions,
)
from app.sync.outbound.engine import SendEngine
from app.sync.outbound.senders import DocumentSender
from app.sync.ports import LedgerEntry, Outcome
from app.sync.stores import SystemLedger

MB = 1024 * 1024
BIG = 1
KEY, SECRET = "sandbox-key", "sandbox-secret"


def _serve(size: int, documents: int, scan: int, ready: Any, stop: Any) -> None:
    """Child process: both simulators, until ``stop`` is set."""
    from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
    from app.sandbox.docuware import ServerThread, create_docuware_simulator
    from app.sandbox.docuware.catalogue import CREDITOR_CABINET, make_document

    docs = [make_document(BIG, size=size)]
    docs += [make_document(n, recipient_header_id=str(n)) for n in range(2, documents + 2)]
    first = documents + 2  # the scan's documents live in the second cabinet
    docs += [
        make_document(n, cabinet_id=CREDITOR_CABINET, recipient_header_id=str(n))
        for n in range(first, first + scan)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        casavi_app = create_casavi_simulator(Path(tmp) / "casavi.db", max_upload_bytes=size)
        casavi = ServerThread(casavi_app).start()
        dw = ServerThread(create_docuware_simulator(documents=docs, page_size=1000)).start()
        ready.put((casavi.base_url, dw.base_url, SANDBOX_KEY, SANDBOX_SECRET))
        stop.wait()
        dw.stop()
        casavi.stop()
        casavi_app.simulator.store.close()


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _measured(work: Callable[[], Awaitable[int]]) -> dict[str, float]:
    """Seconds, MB/s and peak RSS growth over the RSS just before ``work``."""
    peak = baseline = _rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    size = await work()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    peak = max(peak, _rss())
    return {
        "mb": round(size / MB, 1),
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / MB / seconds, 1),
        "peak_rss_growth_mb": round((peak - baseline) / MB, 2),
    }


class MemoryLedger:
    """The ledger's contract in memory (this benchmark measures transfers, not PostgreSQL)."""

    def __init__(self) -> None:
        self.entries: dict[RecordKey, LedgerEntry] = {}

    async def load(self, system: str, kind: EntityKind) -> dict[RecordKey, LedgerEntry]:
        return dict(self.entries)

    async def save(
        self, system: str, kind: EntityKind, outcomes: Any, known: Any, **_: Any
    ) -> None:
        for o in outcomes:
            assert isinstance(o, Outcome)
            self.entries[o.key] = LedgerEntry(
                len(self.entries), o.fingerprint, o.state, o.casavi_id, o.reason_code
            )


class LeaseTypes:
    """The iX-Haus side of the no-change run: document types only, no own documents."""

    async def document_types(self) -> AsyncIterator[DocumentTypeRecord]:
        yield DocumentTypeRecord(number="MV", name="Mietvertrag")

    async def documents(self) -> AsyncIterator[Any]:
        return
        yield


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(rounds, key=lambda r: r["mb_per_s"])
    middle = dict(ordered[len(ordered) // 2])
    middle["peak_rss_growth_mb"] = max(r["peak_rss_growth_mb"] for r in rounds)  # worst round
    middle["rounds_mb_per_s"] = [r["mb_per_s"] for r in rounds]  # type: ignore[assignment]
    return middle


async def run(size_mb: int, documents: int, repeat: int, scan: int) -> dict[str, Any]:
    size = size_mb * MB
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    child = context.Process(target=_serve, args=(size, documents, scan, ready, stop), daemon=True)
    child.start()
    casavi_url, dw_url, key, secret = ready.get(timeout=60)
    from app.sandbox.docuware import SANDBOX_PASSWORD, SANDBOX_USER
    from app.sandbox.docuware.catalogue import CREDITOR_CABINET, MAIN_CABINET

    casavi = CasaviClient(CasaviClientConfig(base_url=casavi_url, key=key, secret=secret))
    dw = docuware_client(
        DocuwareClientConfig(base_url=dw_url, username=SANDBOX_USER, password=SANDBOX_PASSWORD)
    )
    try:
        await casavi.authenticate()
        await dw.logon()
        record = PortalDocument(
            id=BIG,
            name="Mietvertrag (large)",
            document_type="Mietvertrag",
            created_at=datetime(2025, 1, 2, tzinfo=UTC),
            content_location=docuware_location(MAIN_CABINET, BIG),
            size_bytes=size,
            content_type="application/pdf",
        )
        portal = CasaviDocuments(casavi)
        contents = DocuwareContents(dw)

        rounds = iter(range(1000))

        async def gateway() -> int:
            key = RecordKey.docuware_document("gateway", next(rounds))  # a new casavi id
            await portal.prepare_document(key, record, contents, IdentityMap())("new")
            return size

        async def plain() -> int:
            # Tokens once, outside the measurement's logic: plain clients, plain streams.
            dw_token, _ = await dw.http.tokens.current()
            casavi_token, _ = await casavi.http.tokens.current()
            path = f"/DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Documents/{BIG}/FileDownload"
            timeout = httpx.Timeout(60.0)
            async with (
                httpx.AsyncClient(base_url=dw_url, timeout=timeout) as source,
                httpx.AsyncClient(base_url=casavi_url, timeout=timeout) as target,
                source.stream(
                    "GET", path, headers={"Authorization": f"Bearer {dw_token}"}
                ) as download,
            ):
                ref = f"plain-copy-{next(rounds)}"
                meta = DocumentWrite(id=ref, name="plain", file_name="plain.pdf")
                upload = MultipartUpload(meta, lambda: download.aiter_bytes(64 * 1024), size)
                answer = await target.post(
                    "/v2/documents",
                    content=upload.stream(),
                    headers={**upload.headers, "token": casavi_token},
                )
                answer.raise_for_status()
            return size

        # Alternate the two, ``repeat`` times each; report the median round of each.
        plains, gateways = [], []
        for _ in range(repeat):
            plains.append(await _measured(plain))
            gateways.append(await _measured(gateway))
        plain_result = _median(plains)
        gateway_result = _median(gateways)

        # No-change run: every small DocuWare document once, then again with nothing changed.
        ledger = MemoryLedger()
        source = DocuwareDocuments(dw, MAIN_CABINET)
        config = SyncConfig(object_range=ranges("1001"), document_types_unfiltered=("MV",))

        types = await DocumentTypes.load(LeaseTypes())  # type: ignore[arg-type]

        async def stage(source: DocuwareDocuments = source) -> tuple[float, Any]:
            # No casavi properties: documents go account-wide.
            ids = IdentityMap()
            decisions = docuware_decisions(source, types, config, datetime.now(UTC), ids)
            started = time.perf_counter()
            bound = SystemLedger(ledger, "bench")  # type: ignore[arg-type]
            engine = SendEngine(run_id=None, ledger=bound, ids=ids)
            counts = await engine.stage(
                KIND, decisions, DocumentSender(portal, contents), concurrency=CONCURRENCY
            )
            return time.perf_counter() - started, counts

        async def uploads() -> int:
            async with httpx.AsyncClient(base_url=casavi_url) as control:
                stats = (await control.get("/_sandbox/stats")).json()
            return int(stats["byRoute"].get("POST /v2/documents", 0))

        first_seconds, first = await stage()
        before = await uploads()
        second_seconds, second = await stage()
        second_uploads = await uploads() - before

        # The same over ``scan`` more documents, with the ledger primed from their decisions
        # as a completed first run leaves it (uploading them all first would take long).
        scanned = DocuwareDocuments(dw, CREDITOR_CABINET)
        primed = 0
        async for decision in docuware_decisions(
            scanned, types, config, datetime.now(UTC), IdentityMap()
        ):
            if isinstance(decision, Transfer):
                ledger.entries[decision.key] = LedgerEntry(
                    -1, fingerprint(decision.record), "sent", decision.key.reference_id, None
                )
                primed += 1
        before = await uploads()
        scan_seconds, scan_counts = await stage(scanned)
        return {
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "gateway_transfer": gateway_result,
            "plain_httpx_copy": plain_result,
            "throughput_ratio": round(gateway_result["mb_per_s"] / plain_result["mb_per_s"], 2),
            "no_change_run": {
                "documents": documents + 1,
                "first_run": {"sent": first.sent, "seconds": round(first_seconds, 2)},
                "second_run": {
                    "uploads": second_uploads,
                    "unchanged": second.unchanged,
                    "seconds": round(second_seconds, 2),
                },
            },
            "no_change_scan": {
                "documents": scan,
                "ledger_primed": primed,
                "uploads": await uploads() - before,
                "unchanged": scan_counts.unchanged,
                "seconds": round(scan_seconds, 2),
                "documents_per_s": round(scan / scan_seconds) if scan_seconds else None,
            },
            "docuware_logons": dw.logons,
        }
    finally:
        await casavi.aclose()
        await dw.aclose()
        stop.set()
        child.join(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scan", type=int, default=100_000)
    args = parser.parse_args()
    result = asyncio.run(run(args.size_mb, args.documents, args.repeat, args.scan))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
