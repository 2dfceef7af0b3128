"""DocuWare's webhook (issue 23 items 6 and 7): what a forged body costs, how soon a real
notification is answered with a slow DocuWare, and how soon its document is in casavi.

The gateway is served by uvicorn (1 process, arq on Redis, one ``portal-gateway worker``) on
a fresh PostgreSQL database over the ``small`` iX-Haus portfolio, after a first run; the
casavi and DocuWare simulators run in this process's threads. Prints JSON:

- ``verify_forged_1mb_ms``: CPU time of ``verify_docuware_signature`` for one forged 1 MB
  body (pretty-printed JSON, so the whitespace-free second try is made), median;
- ``server_cpu_per_forged_1mb_ms``: the gateway process's CPU time (``/proc``) per forged
  1 MB POST answered 401, sent one after another: what each costs the event loop;
- ``health_live_under_forged_load_ms``: ``/health/live`` latency (p50, p95) while
  ``--senders`` clients post forged 1 MB bodies back to back, and without them;
- ``notification_202_ms`` (p50, max) with DocuWare answering each request after
  ``--latency-ms``, and ``notification_to_casavi_s``: until the document is in casavi.

    python benchmarks/docuware_webhook.py [--forged 40] [--senders 4] [--notifications 10]
        [--latency-ms 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from app.adapters.docuware.webhook import SIGNATURE_HEADER, sign, verify_docuware_signature
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.configuration.secrets import SecretBox
from app.sandbox.docuware import SANDBOX_PASSWORD, SANDBOX_USER, create_docuware_simulator
from app.sandbox.docuware import ServerThread as DwThread
from app.sandbox.docuware.catalogue import MAIN_CABINET, make_document
from benchmarks.inbound_harness import machine, percentile, quiet, stack

SECRET = "dw-organisation-passphrase"  # noqa: S105 - the sandbox passphrase
PATH = "/api/v1/systems/test/callbacks/docuware"


def forged_body(size: int = 999_000) -> bytes:
    """Pretty-printed JSON just under the 1 MB body limit: whitespace outside strings."""
    item = b'  "FIELD": "value",\n'
    return b"{\n" + item * (size // len(item)) + b'  "DWDOCID": 1\n}'


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def verify_cost(body: bytes, rounds: int = 20) -> float:
    forged = "0" * 128
    times = []
    for _ in range(rounds):
        start = time.process_time()
        assert not verify_docuware_signature(SECRET.encode(), body, forged)
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


async def _health(client: httpx.AsyncClient, base: str, seconds: float) -> list[float]:
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        (await client.get(f"{base}/health/live")).raise_for_status()
        latencies.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(0.02)
    return latencies


async def run(forged: int, senders: int, notifications: int, latency_ms: int) -> dict[str, Any]:
    body = forged_body()
    result: dict[str, Any] = {"machine": machine(), "verify_forged_1mb_ms": verify_cost(body)}
    documents = [make_document(100 + n, document_type="Mietvertrag") for n in range(notifications)]
    dw_app = create_docuware_simulator(documents=[])
    dw = DwThread(dw_app).start()
    try:
        async with stack("small", config={"docuware": {
            "baseUrl": dw.base_url, "username": SANDBOX_USER, "fileCabinetId": MAIN_CABINET,
        }}) as s:  # fmt: skip
            engine = create_engine(s.gateway_url)
            async with create_session_factory(engine)() as session:
                secrets = {"docuwarePassword": _twice(SANDBOX_PASSWORD),
                           "docuwareWebhookSecret": _twice(SECRET)}  # fmt: skip
                await ConfigRows(session, SecretBox(s.secret_key)).patch(
                    "test", {"secrets": secrets}, "benchmark"
                )
            await engine.dispose()
            base = s.start_gateway(workers=1)
            s.start_worker()
            gateway_pid = s.processes[0].pid
            url = f"{base}{PATH}"
            headers = {SIGNATURE_HEADER: "0" * 128, "content-type": "application/json"}
            async with httpx.AsyncClient(timeout=120) as client:
                for _ in range(3):  # warm-up: connections, caches
                    await client.post(url, content=body, headers=headers)
                cpu = _cpu_seconds(gateway_pid)
                for _ in range(forged):
                    answer = await client.post(url, content=body, headers=headers)
                    assert answer.status_code == 401, answer.text
                per_forged = (_cpu_seconds(gateway_pid) - cpu) / forged * 1000
                result["server_cpu_per_forged_1mb_ms"] = round(per_forged, 2)

                quiet_latencies = await _health(client, base, 5)
                stop = asyncio.Event()

                async def flood() -> int:
                    sent = 0
                    while not stop.is_set():
                        await client.post(url, content=body, headers=headers)
                        sent += 1
                    return sent

                flooders = [asyncio.create_task(flood()) for _ in range(senders)]
                loaded = await _health(client, base, 10)
                stop.set()
                sent = sum(await asyncio.gather(*flooders))
                result["health_live_under_forged_load_ms"] = {
                    "quiet_p50": round(percentile(quiet_latencies, 50), 2),
                    "quiet_p95": round(percentile(quiet_latencies, 95), 2),
                    "forged_p50": round(percentile(loaded, 50), 2),
                    "forged_p95": round(percentile(loaded, 95), 2),
                    "forged_bodies_sent": sent,
                    "senders": senders,
                }

                dw_app.simulator.faults.latency_ms = latency_ms
                answers, arrived = [], []
                for document in documents:
                    dw_app.simulator.documents[document.id] = document
                    note = b'{"DWDOCID": %d}' % document.id
                    signed = {SIGNATURE_HEADER: sign(SECRET.encode(), note)}
                    start = time.perf_counter()
                    answer = await client.post(url, content=note, headers=signed)
                    answers.append((time.perf_counter() - start) * 1000)
                    assert answer.status_code == 202, answer.text
                    reference = f"dw.{MAIN_CABINET}.{document.id}"
                    while s.sim_app.simulator.store.get("documents", reference) is None:
                        if time.perf_counter() - start > 120:
                            raise RuntimeError("the document did not reach casavi")
                        await asyncio.sleep(0.05)
                    arrived.append(time.perf_counter() - start)
                result["docuware_latency_ms"] = latency_ms
                result["notification_202_ms"] = {
                    "p50": round(statistics.median(answers), 1),
                    "max": round(max(answers), 1),
                    "n": len(answers),
                }
                result["notification_to_casavi_s"] = {
                    "p50": round(statistics.median(arrived), 2),
                    "max": round(max(arrived), 2),
                }
    finally:
        dw.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forged", type=int, default=40)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--notifications", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=1500)
    args = parser.parse_args()
    quiet()
    result = asyncio.run(run(args.forged, args.senders, args.notifications, args.latency_ms))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
