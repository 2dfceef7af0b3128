"""The live contract check (issue 18, item 3) against the simulator - every operation the
gateway uses "works" - and against simulator variants that deviate the way a real casavi
may: each deviation is named with the feature it affects, and the exit status is non-zero
when a feature the settings need is blocked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.adapters.casavi import CasaviClient, CasaviClientConfig
from app.adapters.casavi.check import CheckReport, check_contract
from app.adapters.casavi.routes import CasaviRoutes
from app.adapters.casavi.wire_tickets import DocumentWrite, TicketCreate, TicketMessageCreate
from app.configuration.contract_check import WriteTestNotAllowed, run_contract_check
from app.configuration.document import CasaviSettings
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sync.ports import SystemSecrets
from tests.fakes import FakeConfigs
from tests.support.casavi import FAST_RETRY, SimHandle, seed_portfolio


def _config(simulator: SimHandle, **overrides: Any) -> CasaviClientConfig:
    return CasaviClientConfig(
        base_url=simulator.base_url,
        key=SANDBOX_KEY,
        secret=SANDBOX_SECRET,
        retry=FAST_RETRY,
        system="test",
        **overrides,
    )


@pytest.fixture
async def filled(simulator: SimHandle, tmp_path: Path) -> SimHandle:
    """A casavi with master data, a ticket, a staff note and a tenant's attachment."""
    async with CasaviClient(_config(simulator)) as client:
        await seed_portfolio(client)
        await client.tickets.create(
            TicketCreate(id="T-1", ticket_type_id="TT-1", subject="Heizung", property_id="P-1")
        )
        note = TicketMessageCreate(id="N-1", author_id="S-1", visibility="public", content="x")
        await client.tickets.add_message("T-1", note)
        photo = tmp_path / "foto.jpg"
        photo.write_bytes(b"\xff\xd8 photo")
        meta = DocumentWrite(id="D-1", name="Foto", file_name="foto.jpg", ticket_id="T-1")
        await client.documents.upload(meta, photo)
    return simulator


async def _check(simulator: SimHandle, **overrides: Any) -> CheckReport:
    async with CasaviClient(_config(simulator, **overrides)) as client:
        return await check_contract(
            client, system="test", write_test=True, documents=True, callbacks=False
        )


def _verdicts(report: CheckReport) -> dict[str, str]:
    return {r.operation: r.verdict for r in report.rows}


async def test_against_the_simulator_everything_works(filled: SimHandle) -> None:
    report = await _check(filled)
    verdicts = _verdicts(report)
    callbacks = verdicts.pop("receiveCasaviEvent")
    assert set(verdicts.values()) == {"works"}, report.table()
    assert callbacks == "not probed"  # casavi offers none natively
    assert report.exit_code == 0
    assert report.left_behind == []
    # Every marked record went again.
    store = filled.state.store
    kinds = ("properties", "units", "contacts", "staff", "tickets", "posts", "documents")
    assert not [r for k in kinds for r in store.all(k) if r["id"].startswith("pg-check-")]
    assert "nothing the settings need is blocked" in report.table()


async def test_messages_served_as_comments_are_named_and_block(filled: SimHandle) -> None:
    await filled.control.put("/_sandbox/variant", json={"messagesSegment": "comments"})
    report = await _check(filled)
    verdicts = _verdicts(report)
    assert verdicts["createTicketMessage"] == "blocked: notes to casavi (N1)"
    assert verdicts["listTicketMessages"] == "blocked: inbound: tenants' messages"
    assert verdicts["updateTicketMessage"] == "not probed"  # nothing written to edit
    rows = {r.operation: r for r in report.rows}
    assert rows["createTicketMessage"].status == "404"
    assert report.exit_code == 1
    assert "createTicketMessage (notes to casavi (N1))" in report.table()
    # The one change: the gateway told the new name works against that casavi.
    renamed = await _check(filled, routes=CasaviRoutes(ticket_messages="comments"))
    assert renamed.exit_code == 0, renamed.table()
    assert _verdicts(renamed)["updateTicketMessage"] == "works"


async def test_a_casavi_without_ticket_create_is_named_and_blocks(filled: SimHandle) -> None:
    await filled.control.put("/_sandbox/variant", json={"ticketCreate": False})
    report = await _check(filled)
    rows = {r.operation: r for r in report.rows}
    assert rows["createTicket"].status == "405"
    assert rows["createTicket"].verdict == "blocked: tickets to casavi (T3)"
    assert rows["createTicket"].against is not None  # the contract flagged it already
    assert rows["closeTicket"].note == "createTicket failed: no check ticket to write on"
    assert rows["getTicket"].verdict == "works"  # the inbound side still reads
    assert report.exit_code == 1
    assert report.left_behind == []


async def test_a_renamed_field_is_named_with_its_operations(filled: SimHandle) -> None:
    await filled.control.put("/_sandbox/variant", json={"renamedFields": {"subject": "summary"}})
    report = await _check(filled)
    rows = {r.operation: r for r in report.rows}
    for operation in ("getTicket", "createTicket", "updateTicket"):
        assert rows[operation].deviations() == ["subject missing, summary extra (renamed?)"]
    assert rows["listTickets"].deviations() == [
        "list[].subject missing, list[].summary extra (renamed?)"
    ]
    assert rows["getTicket"].verdict == "blocked: inbound: tenants' tickets (T10)"
    assert rows["getProperty"].verdict == "works"
    assert report.exit_code == 1


async def test_the_write_test_needs_the_setting(simulator: SimHandle) -> None:
    configs = FakeConfigs()
    configs.change(
        "test",
        casavi=CasaviSettings(base_url=simulator.base_url),
        secrets=SystemSecrets(casavi_api_key=SANDBOX_KEY, casavi_secret=SANDBOX_SECRET),
    )
    with pytest.raises(WriteTestNotAllowed):
        await run_contract_check(configs, "test", write_test=True)
    assert await simulator.write_count() == 0
    read_only = await run_contract_check(configs, "test")
    assert not read_only.write_test
    assert await simulator.write_count() == 0  # reads only
    configs.change(
        "test", casavi=CasaviSettings(base_url=simulator.base_url, allow_write_test=True)
    )
    written = await run_contract_check(configs, "test", write_test=True)
    assert written.exit_code == 0, written.table()
