"""Issue 23 item 6: DocuWare's webhook answers 202 at once; a job fetches and uploads.

With a slow DocuWare the webhook used to do the fetch and the upload inside the request (202
after 36 s; DocuWare's own sender gives up far earlier and retries). Now the answer comes
before the gateway has asked DocuWare for anything, and the document reaches casavi through
a job: in-process on the embedded setup (no Redis), and through arq and
``portal-gateway worker`` with Redis. The job is safe to run twice.

The simulators here are served over HTTP on loopback: the gateway is, and DocuWare sends
its webhook to the gateway's URL.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.docuware.webhook import SIGNATURE_HEADER, sign
from app.adapters.store.config_rows import ConfigRows
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.environment import Settings, load_settings
from app.sandbox.casavi import ServerThread
from app.sandbox.docuware.catalogue import make_document
from app.sandbox.docuware.content import content_digest
from app.sync import jobs
from app.sync.services import Services
from tests.integration.sync.conftest import SECRET_KEY, run_once
from tests.integration.sync.test_documents_sync import (  # noqa: F401 - fixtures
    WEBHOOK_SECRET,
    _outcome,
    casavi_doc,
    document_root,
    dw_documents,
    dw_key,
    dw_ref,
    ledger,
    services,
    uploads,
)
from tests.support.casavi import SimHandle, simulator  # noqa: F401 - fixture
from tests.support.docuware import DwHandle, serve_docuware

ROOT = Path(__file__).resolve().parents[3]
DOCUMENT = 12
LATENCY_MS = 1500  # per DocuWare request: logon, the document's index, the download


@pytest.fixture(name="dw")
async def dw_on_loopback() -> AsyncIterator[DwHandle]:
    """The DocuWare simulator over HTTP: the gateway served on loopback reaches it, and it
    sends its webhook to the gateway's URL."""
    async with serve_docuware(dw_documents(), 3) as handle:
        yield handle


@pytest.fixture(params=["embedded", "arq"])
def gateway(
    request: pytest.FixtureRequest, migrated_pg: str, redis_url: str, tmp_path: Path
) -> Iterator[str]:
    """The gateway on loopback: jobs in-process, or through Redis to a worker process."""
    env = {"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY}
    worker: subprocess.Popen[bytes] | None = None
    if request.param == "arq":
        env.update(REDIS_URL=redis_url, ARQ_QUEUE_NAME=f"pgw-dw-hook:{uuid.uuid4().hex[:8]}")
        with (tmp_path / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=ROOT,
                env={**os.environ, **env, "ARQ_POLL_DELAY": "0.05"},
                stdout=log,
                stderr=log,
            )
    thread = ServerThread(create_app(load_settings(env))).start()
    try:
        yield f"{thread.base_url}/api/v1/systems/test/callbacks/docuware"
    finally:
        thread.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)


async def _wait_for(check: object, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.1)


async def test_the_webhook_answers_before_docuware_is_asked_and_a_job_sends(
    services: Services,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
    dw: DwHandle,
    gateway: str,
) -> None:
    # issue 23 item 6. Objects and persons are in casavi after a run; then a new lease is
    # stored in a slow DocuWare.
    await run_once(services)
    dw.state.documents[DOCUMENT] = make_document(DOCUMENT, document_type="Mietvertrag")
    await dw.faults(latency_ms=LATENCY_MS)
    before = (await dw.stats())["requests"]
    body = b'{"DWDOCID": %d, "DOKUMENTTYP": "Mietvertrag"}' % DOCUMENT
    headers = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET.encode(), body)}
    async with httpx.AsyncClient(timeout=60) as client:
        answer = await client.post(gateway, content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        # The answer came before the gateway had DocuWare's answer to anything.
        assert casavi_doc(simulator, dw_ref(DOCUMENT)) is None
        assert answer.json() == {"documentId": DOCUMENT, "duplicate": False}
        # DocuWare sending the same notification again (it had no answer in time) is the
        # same job.
        again = await client.post(gateway, content=body, headers=headers)
        assert again.status_code == 202
    await _wait_for(lambda: casavi_doc(simulator, dw_ref(DOCUMENT)) is not None, "the upload")
    assert (await dw.stats())["requests"] > before
    # The job is safe to run twice: the ledger knows casavi has the document.
    await dw.faults(latency_ms=0)
    sent = await uploads(simulator)
    assert await jobs.docuware_document(services, "test", DOCUMENT) == "errors=0"
    assert await uploads(simulator) == sent


async def test_forged_malformed_and_switched_off_notifications_are_refused(
    services: Services,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    migrated_pg: str,
) -> None:
    # Forged: 401 before the body is read as JSON; a document id that is no DocuWare id:
    # 400 (issue 23 item 4); a system that does not sync DocuWare (rule C13): 409, nothing
    # queued.
    settings = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": SECRET_KEY})
    thread = ServerThread(create_app(settings)).start()
    url = f"{thread.base_url}/api/v1/systems/test/callbacks/docuware"
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            body = b'{"DWDOCID": %d}' % DOCUMENT
            forged = await client.post(url, content=body, headers={SIGNATURE_HEADER: "0" * 128})
            assert forged.status_code == 401
            for bad in (b'{"DWDOCID": 0}', b'{"DWDOCID": 99999999999}', b'{"DWDOCID": "1"}'):
                signed = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET.encode(), bad)}
                refused = await client.post(url, content=bad, headers=signed)
                assert refused.status_code == 400, bad
            async with sessions() as session:
                await ConfigRows(session, active_test_system).patch(
                    "test", {"support": {"noDocuwareSync": True}}, "test"
                )
            signed = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET.encode(), body)}
            switched_off = await client.post(url, content=body, headers=signed)
            assert switched_off.status_code == 409
    finally:
        thread.stop()


async def test_docuware_webhook_signed_accepted_and_forged_refused(
    services: Services,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
    simulator: SimHandle,  # noqa: F811
    dw: DwHandle,
    migrated_pg: str,
) -> None:
    # Objects and persons are in casavi after a run; then a new lease is stored in DocuWare.
    await run_once(services)
    dw.state.documents[11] = make_document(11, document_type="Mietvertrag")
    gateway = ServerThread(
        create_app(Settings(database_url=migrated_pg, secret_key=SECRET_KEY))
    ).start()
    url = f"{gateway.base_url}/api/v1/systems/test/callbacks/docuware"
    try:
        async with httpx.AsyncClient() as client:
            body = b'{"DWDOCID": 11, "DOKUMENTTYP": "Mietvertrag"}'
            forged = await client.post(url, content=body, headers={SIGNATURE_HEADER: "0" * 128})
            assert forged.status_code == 401
            assert forged.headers["content-type"].startswith("application/problem+json")
            other_key = sign(b"not the passphrase", body)
            assert (
                await client.post(url, content=body, headers={SIGNATURE_HEADER: other_key})
            ).status_code == 401
            assert (await client.post(url, content=body)).status_code == 401
            malformed = b'{"no document id": true}'
            signature = sign(WEBHOOK_SECRET.encode(), malformed)
            bad = await client.post(url, content=malformed, headers={SIGNATURE_HEADER: signature})
            assert bad.status_code == 400
            assert casavi_doc(simulator, dw_ref(11)) is None

        # DocuWare itself signs and sends the notification; the document is in casavi at
        # once, through the same rules and ledger as a run.
        hook = {"url": url, "secret": WEBHOOK_SECRET}
        (await dw.control.put("/_sandbox/webhook", json=hook)).raise_for_status()
        fired = await dw.control.post("/_sandbox/webhook/fire", json={"documentId": 11})
        assert fired.json() == {"status": 202}
    finally:
        gateway.stop()
    stored = casavi_doc(simulator, dw_ref(11))
    assert stored is not None
    assert stored["sha256"] == content_digest(11, 4096)
    assert (await ledger(sessions))[dw_key(11)][0] == "sent"
    # The run stays the safety net and finds nothing left to do.
    before = await uploads(simulator)
    last = await run_once(services)
    assert last.status == _outcome(last), last.last_error
    assert await uploads(simulator) == before
