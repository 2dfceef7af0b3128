"""The console's casavi contract check and the overview's deviation count (issue 18, items
3 and 4), over plain HTTP against the real gateway on loopback."""

from __future__ import annotations

import datetime as dt

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.deviations import SqlContractDeviations
from app.sync.ports import DeviationCount
from tests.e2e.console.conftest import Gateway, http_sign_in, run_apart


async def _count_one(gateway: Gateway) -> None:
    engine = create_engine(gateway.paths.gateway)
    try:
        now = dt.datetime.now(dt.UTC)
        seen = DeviationCount(
            system="test",
            operation="getTicket",
            field="subject",
            problem="missing",
            times=2,
            first_seen_at=now,
            last_seen_at=now,
        )
        await SqlContractDeviations(create_session_factory(engine)).add([seen])
    finally:
        await engine.dispose()


def test_the_contract_check_runs_from_the_console(gateway: Gateway) -> None:
    client, token = http_sign_in(gateway, gateway.admin_key)
    try:
        page = client.get("/console/systems/test/casavi-check")
        assert page.status_code == 200
        assert "Noch nicht geprüft" in page.text
        assert "Schreibtest in den Einstellungen aus" in page.text  # casavi.allowWriteTest
        refused = client.post("/console/systems/test/casavi-check", data={})
        assert refused.status_code == 403  # no CSRF token
        ran = client.post("/console/systems/test/casavi-check", data={"csrf_token": token})
        assert ran.status_code == 303
        page = client.get("/console/systems/test/casavi-check")
        assert 'data-operation="listTickets" data-action="works"' in page.text
        assert 'data-operation="createTicketMessage" data-action="not probed"' in page.text
        assert 'data-action="blocked"' not in page.text
        assert "Nichts, was die Einstellungen brauchen, ist blockiert." in page.text
    finally:
        client.close()


def test_the_overview_shows_contract_deviations(gateway: Gateway) -> None:
    run_apart(_count_one(gateway))
    client, _ = http_sign_in(gateway, gateway.admin_key)
    try:
        overview = client.get("/console").text
    finally:
        client.close()
    assert "Antworten wichen vom Vertrag ab" in overview
    assert '<span lang="en"><code>getTicket</code> subject missing</span> (2×' in overview
    assert 'href="/console/systems/test/casavi-check"' in overview
    metrics = client_metrics(gateway)
    assert 'gateway_casavi_contract_deviations_total{operation="getTicket"} 2.0' in metrics


def client_metrics(gateway: Gateway) -> str:
    import httpx

    return httpx.get(f"{gateway.base_url}/metrics", timeout=10).text
