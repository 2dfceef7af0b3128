"""Documents in the runs against both simulators (rules D1-D6, C6, C7, C9, C13).

The gateway is built by the real composition (``open_system_adapters``): the iX-Haus sandbox
portfolio in PostgreSQL with its document files below a document root, the DocuWare
simulator (three documents per search page, so every search pages) and the casavi simulator,
both served in process (tests/support/inprocess.py). The DocuWare webhook's own test is in
test_docuware_webhook_job.py: there the simulators and the gateway are on loopback.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.factories import ixhaus_engine, ixhaus_tables
from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.models import EntityLink, ProtocolEntry
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.domain.keys import RecordKey
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sandbox.docuware import SANDBOX_PASSWORD, SANDBOX_USER
from app.sandbox.docuware.catalogue import MAIN_CABINET, make_document
from app.sandbox.docuware.content import content_digest
from app.sandbox.docuware.state import SimDocument
from app.sandbox.ixhaus.files import write_document_files
from app.sync.ports import SyncRunInfo
from app.sync.services import Services
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import run_once
from tests.support.casavi import SimHandle, in_process_simulator  # noqa: F401 - fixture
from tests.support.docuware import DwHandle, serve_docuware
from tests.support.inprocess import reach

MB = 1024 * 1024
LIMIT = 3 * MB  # the configured size limit of these tests (rule D5)
WEBHOOK_SECRET = "dw-organisation-passphrase"


def dw_documents() -> list[SimDocument]:
    """Object 1001-1003 are enabled in the sandbox configuration, 1004 is not."""
    recent = datetime.now(UTC) - timedelta(days=3)
    old = datetime(2015, 3, 1, tzinfo=UTC)
    return [
        make_document(1, document_type="Mietvertrag", created=old),  # C7: no time filter
        make_document(2, document_type="Nebenkostenabrechnung", created=recent),  # C6
        make_document(3, document_type="Nebenkostenabrechnung", created=old),  # D4: too old
        make_document(4, document_type="Rechnung", created=recent),  # type not released
        make_document(5, document_type="Mietvertrag", object_number="1004"),  # not enabled
        make_document(6, document_type="Mietvertrag", object_number=None),  # C9: no index
        make_document(7, document_type="Mietvertrag", recipient_type="X"),  # C9: bad type
        make_document(8, document_type="Mietvertrag", size=LIMIT),  # D5: exactly the limit
        make_document(9, document_type="Mietvertrag", size=LIMIT + 1),  # D5: one byte more
        make_document(10, document_type="Mietvertrag", size=1 * MB, recipient_type="K"),
    ]


@pytest.fixture
async def dw() -> AsyncIterator[DwHandle]:
    """The DocuWare simulator in process (three documents per search page)."""
    async with serve_docuware(dw_documents(), 3, in_process=True) as handle:
        yield handle


@pytest.fixture(scope="module")
def document_root(ixhaus_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    root = tmp_path_factory.mktemp("ixhaus-documents")

    async def write() -> None:
        engine = ixhaus_engine(ixhaus_url)
        try:
            reader = IxhausReader(engine, ixhaus_tables(None, "ixp_", {}))
            await write_document_files(root, reader.documents())
        finally:
            await engine.dispose()

    asyncio.run(write())
    return root


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def configure(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    casavi: SimHandle,
    dw: DwHandle,
    root: Path,
    **extra: Any,
) -> None:
    async with sessions() as session:
        await ConfigRows(session, box).patch(
            "test",
            {
                "casavi": {"baseUrl": casavi.base_url},
                "ixhaus": {"documentRoot": str(root)},
                "docuware": {
                    "baseUrl": dw.base_url,
                    "username": SANDBOX_USER,
                    "fileCabinetId": MAIN_CABINET,
                },
                "maxDocumentBytes": LIMIT,
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                    "docuwarePassword": _twice(SANDBOX_PASSWORD),
                    "docuwareWebhookSecret": _twice(WEBHOOK_SECRET),
                },
                **extra,
            },
            "test",
        )


@pytest.fixture
async def services(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    dw: DwHandle,
    document_root: Path,
) -> AsyncIterator[Services]:
    await configure(sessions, active_test_system, simulator, dw, document_root)
    built = build_services(
        sessions, active_test_system, FakeQueue(), transport=reach(simulator, dw)
    )
    try:
        yield built
    finally:
        await built.aclose()


def dw_ref(document_id: int) -> str:
    return RecordKey.docuware_document(MAIN_CABINET, document_id).reference_id


def dw_key(document_id: int) -> str:
    return RecordKey.docuware_document(MAIN_CABINET, document_id).ledger_key


async def ledger(
    sessions: async_sessionmaker[AsyncSession], kind: str = "document"
) -> dict[str, tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(EntityLink.ixhaus_key, EntityLink.state, EntityLink.reason_code).where(
                EntityLink.entity_type == kind
            )
        )
        return {key: (state, reason) for key, state, reason in rows}


async def protocol(sessions: async_sessionmaker[AsyncSession], run_id: int) -> dict[str, Any]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ProtocolEntry).where(
                ProtocolEntry.run_id == run_id, ProtocolEntry.entity_type == "document"
            )
        )
        return {r.entity_key: r for r in rows}


def _outcome(run: SyncRunInfo) -> str:
    # Documents over the size limit (D5) are excluded with their reason (a warning an
    # operator acts on), not errors: a healthy installation's runs succeed.
    return "partial" if run.errors else "succeeded"


def casavi_doc(casavi: SimHandle, ref: str) -> dict[str, Any] | None:
    return casavi.state.store.get("documents", ref)


async def uploads(casavi: SimHandle) -> int:
    return await casavi.route_count("POST /v2/documents")


async def test_a_run_sends_documents_by_the_rules_and_a_rerun_sends_nothing(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    simulator: SimHandle,
    dw: DwHandle,
    document_root: Path,
) -> None:
    run = await run_once(services)
    assert run.status == _outcome(run), run.last_error
    state = await ledger(sessions)

    # rule D1 / rule C7: a released lease goes with its content whatever its age (iX-Haus
    # document 1 is eight years old, DocuWare document 1 from 2015).
    assert state["document:1"][0] == "sent"
    assert state[dw_key(1)][0] == "sent"
    # rule C6 / rule D4: time-filtered types only from the start of the previous calendar
    # year (Berlin): iX-Haus 3 is exactly at the boundary, 2 one second before it.
    assert state["document:3"][0] == "sent"
    assert state["document:2"] == ("excluded", "document_before_time_filter")
    assert state[dw_key(2)][0] == "sent"
    assert state[dw_key(3)] == ("excluded", "document_before_time_filter")
    # rule D2: unreleased documents (and types the configuration does not release) of
    # enabled objects are never sent with content; those of disabled objects not at all.
    assert state["document:5"] == ("excluded", "document_not_released")
    assert state["document:6"] == ("excluded", "document_type_not_configured")
    assert state[dw_key(4)] == ("excluded", "document_type_not_configured")
    assert state["document:7"] == ("excluded", "object_not_enabled")
    assert state[dw_key(5)] == ("excluded", "object_not_enabled")
    # rule C9: without a filter a DocuWare document needs recipient type P/K, object
    # number and recipient header id: the default search asks for exactly those, so the
    # others never even come back from DocuWare.
    assert dw_key(6) not in state
    assert dw_key(7) not in state
    assert casavi_doc(simulator, dw_ref(6)) is None
    # rule D5: exactly the limit is sent, one byte more never: it is excluded with its
    # reason in the run's protocol (the 150 MB iX-Haus document 4 likewise), and the run -
    # with nothing failed - succeeds.
    assert state[dw_key(8)][0] == "sent"
    assert casavi_doc(simulator, dw_ref(8))["size"] == LIMIT  # type: ignore[index]
    assert state[dw_key(9)] == ("excluded", "document_too_large")
    assert state["document:4"] == ("excluded", "document_too_large")
    lines = await protocol(sessions, run.id)
    assert lines[dw_key(9)].outcome == "excluded"
    assert lines[dw_key(9)].reason_code == "document_too_large"
    assert casavi_doc(simulator, dw_ref(9)) is None
    assert (run.status, run.errors) == ("succeeded", 0)

    # rule D3: name, type (the class where one is set up), creation date, content.
    statement = casavi_doc(simulator, "3")
    assert statement is not None
    assert statement["documentTypeId"] == "Abrechnungen"  # class of type NKA
    assert statement["name"].startswith("Nebenkostenabrechnung 100")
    assert statement["documentDate"]
    file = document_root / "multimedia" / "00000003.pdf"
    assert statement["size"] == file.stat().st_size
    assert statement["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    lease = casavi_doc(simulator, dw_ref(1))
    assert lease is not None
    assert lease["documentTypeId"] == "Mietvertrag"
    assert lease["documentDate"].startswith("2015-03-01")
    assert lease["sha256"] == content_digest(1, 4096)  # DocuWare's bytes, piped through
    assert lease["propertyId"] == "1001"
    # A person casavi does not have is left out rather than sent dangling.
    persons = await ledger(sessions, "person")
    in_casavi = persons.get("person:4711", ("absent", None))[0] == "sent"
    assert lease["contactId"] == ("4711" if in_casavi else None)
    # rule D6: a ticket document follows the same rules and hangs on its ticket.
    assert state["document:8"][0] == "sent"
    ticket_doc = casavi_doc(simulator, "8")
    assert ticket_doc is not None
    assert (await ledger(sessions, "ticket"))["ticket:1"][0] == "sent"
    assert ticket_doc["ticketId"] == "1"
    assert ticket_doc["contactId"] is None
    # A "K" recipient is a creditor: the document goes to the object, not to a contact.
    creditor = casavi_doc(simulator, dw_ref(10))
    assert creditor is not None
    assert creditor["contactId"] is None
    assert creditor["propertyId"] == "1001"

    # Paging past one page: the simulator answers three documents per page.
    assert (
        await dw.route_count(
            f"POST /DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Query/DialogExpression"
        )
        > 3
    )

    # A run over unchanged documents uploads nothing, and the DocuWare client of the
    # system context logged on once for both runs (each logon books a licence).
    before = await uploads(simulator)
    again = await run_once(services)
    assert again.status == _outcome(again), again.last_error
    assert await uploads(simulator) == before
    assert (await dw.stats())["logons"] == 1

    # rule D2: a sent document that is no longer released is reported to casavi as
    # deleted; a changed document (DocuWare id + modification time) is sent again.
    sim_docs = dw.state.documents
    sim_docs[1] = dataclasses.replace(
        sim_docs[1], fields={**sim_docs[1].fields, "DOKUMENTTYP": "Rechnung"}
    )
    sim_docs[2] = dataclasses.replace(
        sim_docs[2], modified=datetime.now(UTC).replace(microsecond=0)
    )
    third = await run_once(services)
    assert third.status == _outcome(third), third.last_error
    state = await ledger(sessions)
    assert state[dw_key(1)] == ("deleted", "document_type_not_configured")
    assert casavi_doc(simulator, dw_ref(1)) is None
    assert state[dw_key(2)][0] == "sent"
    assert await uploads(simulator) == before + 1
    assert simulator.state.store.count("documents") == sum(
        1 for s, _ in state.values() if s == "sent"
    )


async def test_no_docuware_sync_turns_docuware_off(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    dw: DwHandle,
    document_root: Path,
) -> None:
    # rule C13: "no DocuWare sync" - not one request to DocuWare, and the iX-Haus table's
    # DocuWare documents are left out with that reason.
    await configure(
        sessions,
        active_test_system,
        simulator,
        dw,
        document_root,
        support={"noDocuwareSync": True},
    )
    services = build_services(
        sessions, active_test_system, FakeQueue(), transport=reach(simulator, dw)
    )
    try:
        run = await run_once(services)
    finally:
        await services.aclose()
    assert run.status == _outcome(run), run.last_error
    state = await ledger(sessions)
    assert state["document:9"] == ("excluded", "docuware_sync_disabled")
    assert not any(key.startswith("document:dw/") for key in state)
    assert (await dw.stats())["requests"] == 0
    assert state["document:1"][0] == "sent"  # iX-Haus's own documents still go


async def test_interrupted_download_is_retried_without_a_duplicate_and_throttling_is_honoured(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    simulator: SimHandle,
    dw: DwHandle,
) -> None:
    # The first download breaks off after 1 KiB, mid-upload; the gateway looks the
    # reference id up in casavi (nothing there: casavi never stores half a body) and
    # transfers again. Two throttled answers (429 + Retry-After) are waited out.
    await dw.faults(cut_downloads=1, cut_after_bytes=1024, throttle_next=2)
    run = await run_once(services)
    assert run.status == _outcome(run), run.last_error
    faults = (await dw.control.get("/_sandbox/faults")).json()
    assert (faults["throttleNext"], faults["cutDownloads"]) == (0, 0)  # both were met
    state = await ledger(sessions)
    sent = [n for n in (1, 2, 8, 10) if state[dw_key(n)][0] == "sent"]
    assert sent == [1, 2, 8, 10]
    stats = await dw.stats()
    assert stats["downloads"] == len(sent) + 1  # one download again after the cut
    docs = [d for d in simulator.state.store.all("documents") if d["id"].startswith("dw.")]
    assert sorted(d["id"] for d in docs) == sorted(dw_ref(n) for n in sent)  # no duplicate
    # The reference id was looked up before the document was created again.
    # (Transfers run side by side, so which download the cut meets is not fixed.)
    lookups = [await simulator.route_count(f"GET /v2/documents/{dw_ref(n)}") for n in sent]
    assert sum(lookups) == 1
    for doc in docs:
        number = int(doc["id"].rsplit(".", 1)[1])
        assert doc["sha256"] == content_digest(number, doc["size"])


async def test_token_renewal_keeps_one_client(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    dw: DwHandle,
) -> None:
    # Tokens that stop working mid-life (401) are renewed once, and the run goes on.
    first = await run_once(services)
    assert first.status == _outcome(first), first.last_error
    await dw.faults(expire_tokens=True)
    second = await run_once(services)
    assert second.status == _outcome(second), second.last_error
    stats = await dw.stats()
    assert stats["tokenRequests"] == 2
    assert stats["logons"] == 2


async def test_a_run_whose_casavi_work_succeeded_is_partial_when_only_docuware_was_throttled(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    simulator: SimHandle,
    dw: DwHandle,
) -> None:
    # DocuWare throttles every request (429) beyond the client's patience: the run sends
    # casavi everything else, leaves DocuWare's documents as they are (nothing deleted) and
    # ends partial, naming DocuWare - not failed.
    first = await run_once(services)
    assert first.status == "succeeded", first.last_error
    held = await ledger(sessions)
    await dw.faults(throttle_next=1_000_000, retry_after_seconds=0)
    deletes = await simulator.route_count(f"DELETE /v2/documents/{dw_ref(1)}")
    throttled = await run_once(services)
    assert throttled.status == "partial", throttled.last_error
    assert "DocuWare" in (throttled.last_error or "")
    assert throttled.errors == 0
    assert await ledger(sessions) == held  # DocuWare's documents stay as casavi has them
    assert await simulator.route_count(f"DELETE /v2/documents/{dw_ref(1)}") == deletes
    await dw.faults(throttle_next=0)
    again = await run_once(services)
    assert (again.status, again.sent, again.errors) == ("succeeded", 0, 0), again.last_error
