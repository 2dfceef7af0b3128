"""Answers that deviate from openapi/casavi.yaml (issue 18, item 4): the record concerned
fails with the deviation as its reason, the rest go on; each deviation is counted, logged
once per operation and field without values, and announced to subscribers. And a casavi
that names ticket messages ``comments`` is one change on the gateway's side (item 1)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest

from app.adapters.casavi import CasaviClient, CasaviClientConfig, deviations
from app.adapters.casavi.answers import CasaviContractDeviation
from app.adapters.casavi.deviations import ContractDeviation, on_contract_deviation
from app.adapters.casavi.errors import CasaviNotFound
from app.adapters.casavi.routes import CasaviRoutes
from app.adapters.casavi.wire_tickets import TicketCreate, TicketMessageCreate
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from tests.support.casavi import FAST_RETRY, SimHandle, seed_portfolio


@pytest.fixture
def seen() -> Iterator[list[ContractDeviation]]:
    deviations.forget()
    found: list[ContractDeviation] = []
    unsubscribe = on_contract_deviation(found.append)
    yield found
    unsubscribe()
    deviations.forget()


@pytest.fixture
async def plain(simulator: SimHandle) -> AsyncIterator[CasaviClient]:
    """A client without the contract-validating transport: these casavis deviate on purpose."""
    async with CasaviClient(_config(simulator)) as client:
        yield client


def _config(simulator: SimHandle, **overrides: Any) -> CasaviClientConfig:
    settings: dict[str, Any] = {
        "base_url": simulator.base_url,
        "key": SANDBOX_KEY,
        "secret": SANDBOX_SECRET,
        "retry": FAST_RETRY,
        "system": "test",
        **overrides,
    }
    return CasaviClientConfig(**settings)


async def _tickets(client: CasaviClient, *ids: str) -> None:
    await seed_portfolio(client)
    for ticket_id in ids:
        await client.tickets.create(
            TicketCreate(id=ticket_id, ticket_type_id="TT-1", subject="Heizung", property_id="P-1")
        )


async def test_a_renamed_field_fails_the_record_and_is_reported_once(
    plain: CasaviClient,
    simulator: SimHandle,
    seen: list[ContractDeviation],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _tickets(plain, "T-1")
    await simulator.control.put("/_sandbox/variant", json={"renamedFields": {"subject": "title"}})
    caplog.set_level(logging.WARNING, logger="app.adapters.casavi.deviations")
    for _ in range(2):
        with pytest.raises(CasaviContractDeviation) as failed:
            await plain.tickets.get("T-1")
    expected = ContractDeviation("test", "getTicket", "subject", "missing")
    assert failed.value.deviation == expected
    assert "subject" in str(failed.value)
    assert "Heizung" not in str(failed.value)
    assert seen == [expected, expected]
    assert deviations.counts()[expected] == 2
    logged = [r.getMessage() for r in caplog.records if "deviates" in r.getMessage()]
    assert logged == [
        "casavi's answer to getTicket deviates from the contract: field 'subject' missing "
        "(logged once per operation and field)"
    ]


async def test_in_a_page_only_the_deviating_record_fails(
    plain: CasaviClient, simulator: SimHandle, seen: list[ContractDeviation]
) -> None:
    from datetime import UTC, datetime, timedelta

    await _tickets(plain, "T-1", "T-2", "T-3")
    store = simulator.state.store
    broken = store.get("tickets", "T-2")
    assert broken is not None
    store.put("tickets", "T-2", {**broken, "subject": 42})
    named: list[str | None] = []

    def deviant(raw: msgspec.Raw, error: CasaviContractDeviation) -> str:
        named.append(msgspec.json.decode(raw)["id"])
        return f"failed: {error.deviation.field}"

    since = datetime.now(UTC) - timedelta(minutes=5)
    listed = [t async for t in plain.tickets.modified_since(since, on_deviant=deviant)]
    assert [t if isinstance(t, str) else t.id for t in listed] == ["T-1", "T-3", "failed: subject"]
    assert named == ["T-2"]
    assert seen == [ContractDeviation("test", "listTickets", "subject", "expected str, got int")]
    # Without a handler the deviating record is left out (and reported); the rest arrive.
    assert [t.id async for t in plain.tickets.modified_since(since)] == ["T-1", "T-3"]


async def test_messages_called_comments_are_one_change(
    plain: CasaviClient, simulator: SimHandle
) -> None:
    await _tickets(plain, "T-1")
    await simulator.control.put("/_sandbox/variant", json={"messagesSegment": "comments"})
    note = TicketMessageCreate(id="N-1", author_id="S-1", visibility="public", content="Kommt")
    with pytest.raises(CasaviNotFound):
        await plain.tickets.add_message("T-1", note)
    routes = CasaviRoutes(ticket_messages="comments")  # the one change
    async with CasaviClient(_config(simulator, routes=routes)) as renamed:
        await renamed.tickets.add_message("T-1", note)
        edited = await renamed.tickets.update_message("T-1", "N-1", "Kommt morgen")
        assert edited.content == "Kommt morgen"
        assert [m.id async for m in renamed.tickets.messages("T-1")] == ["N-1"]
        assert (await renamed.tickets.get_message("T-1", "N-1")).content == "Kommt morgen"
    stats = await simulator.stats()
    assert stats["byRoute"]["POST /v2/tickets/T-1/comments"] == 1
