"""Owners, caretakers, staff assignments, e-mail notices and commissioning notes reach the
casavi simulator (in process), every exchange validated against openapi/casavi.yaml.

The sandbox portfolio (``small``) has two owners and one caretaker per object, object rights
and a person responsible per object, four teams (T4 not enabled), a damage type that asks for
e-mail notices (T7) and a heating type with a commissioning-note template (T8). Object 1004 is
not enabled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.portal import CasaviPortal
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.factories import open_system_adapters
from app.adapters.store.config_rows import ConfigRows
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from app.sync.context import SystemAdapters
from app.sync.ports import SyncRunInfo, SystemSettings
from tests.fakes import FakeQueue
from tests.integration.sync.conftest import run_once
from tests.support.casavi import (  # noqa: F401 - fixtures
    FAST_RETRY,
    Contract,
    SimHandle,
    contract,
    in_process_simulator,
)


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
async def first_run(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,
    contract: Contract,  # noqa: F811
) -> AsyncIterator[SyncRunInfo]:
    async with sessions() as session:
        await ConfigRows(session, active_test_system).patch(
            "test",
            {
                "casavi": {"baseUrl": simulator.base_url},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )

    async def adapters(settings: SystemSettings) -> SystemAdapters:
        real = await open_system_adapters(settings, transport=simulator.transport)
        assert settings.document.casavi.base_url
        assert settings.secrets.casavi_api_key
        assert settings.secrets.casavi_secret
        config = CasaviClientConfig(
            base_url=settings.document.casavi.base_url,
            key=settings.secrets.casavi_api_key,
            secret=settings.secrets.casavi_secret,
            retry=FAST_RETRY,
        )
        client = CasaviClient(config, transport=contract.transport())

        async def close() -> None:
            await client.aclose()
            await real.close()

        return SystemAdapters(
            source=real.source,
            writer=real.writer,
            portal=CasaviPortal(client, settings.config.ticket_user_no),
            close=close,
        )

    services = build_services(sessions, active_test_system, FakeQueue(), adapters=adapters)
    try:
        yield await run_once(services)
    finally:
        await services.aclose()


@pytest.fixture
async def casavi(
    simulator: SimHandle,
    contract: Contract,  # noqa: F811
) -> AsyncIterator[CasaviClient]:
    config = CasaviClientConfig(
        base_url=simulator.base_url, key=SANDBOX_KEY, secret=SANDBOX_SECRET, retry=FAST_RETRY
    )
    async with CasaviClient(config, transport=contract.transport()) as client:
        yield client


async def test_every_family_reaches_the_simulator(
    first_run: SyncRunInfo,
    casavi: CasaviClient,
    simulator: SimHandle,
) -> None:
    assert first_run.status == "succeeded", first_run.last_error
    assert first_run.errors == 0

    contacts = {c.id: c async for c in casavi.contacts.list()}
    owners = {i: c for i, c in contacts.items() if i.startswith("owner.")}
    caretakers = {i: c for i, c in contacts.items() if i.startswith("caretaker.")}
    # rule M1: the owners of the enabled objects 1001-1003 (two each), OWNER contracts
    assert len(owners) == 6
    assert {k.property_id for c in owners.values() for k in c.contracts} == {"1001", "1002", "1003"}
    assert {k.type for c in owners.values() for k in c.contracts} == {"OWNER"}
    # name, address and bank account (e-mail and phone where iX-Haus has them)
    assert all(c.last_name and c.street and c.city for c in owners.values())
    assert all(c.custom_fields["iban"] for c in owners.values())
    assert any(c.email for c in owners.values())
    # rule M2: one caretaker per enabled object, CARETAKER contracts
    assert len(caretakers) == 3
    assert {k.type for c in caretakers.values() for k in c.contracts} == {"CARETAKER"}

    # rule M4: object rights and persons responsible are the property's responsibilities;
    # rule M7: team membership is an assignment in the team's role (T4 is not enabled)
    roles = {r.id: r.name async for r in casavi.staff_roles.list()}
    assert {"right.write", "right.read", "responsible.Objektbetreuer"} <= roles.keys()
    assert "T4" not in roles
    staff = {s.id: s async for s in casavi.staff.list()}
    assigned = {(a.property_id, a.role_id) for a in staff["001"].responsibilities}
    assert assigned == {
        ("1001", "right.write"),
        ("1001", "responsible.Objektbetreuer"),
        ("1001", "T1"),
    }
    prop = await casavi.properties.get("1001")
    shown = {(r.contact_id, r.role_name) for r in prop.responsibilities}
    assert ("001", "Objektbetreuer") in shown
    assert ("001", roles["T1"]) in shown
    assert ("002", "Objektrecht (read)") in shown
    assert not any(a.property_id == "1004" for s in staff.values() for a in s.responsibilities)

    # rule T7: tickets of the damage type ask casavi to e-mail unregistered contacts
    tickets = {t.id: t async for t in casavi.tickets.list()}
    damage = {i for i, t in tickets.items() if t.ticket_type_id == "10"}
    assert damage
    assert all(tickets[i].notify_unregistered_by_email for i in damage)
    assert not any(
        t.notify_unregistered_by_email for t in tickets.values() if t.ticket_type_id == "11"
    )
    notices = simulator.state.store.all("notices")
    assert notices
    assert {n["ticketId"] for n in notices} <= damage
    assert all(n["contactId"] == tickets[n["ticketId"]].reporter_contact_id for n in notices)

    # rule T8: the commissioning note of ticket 13's work order, from the heating template
    messages = [m async for m in casavi.tickets.messages("13")]
    note = next(m for m in messages if m.id == "work-order.1")
    assert note.visibility == "public"
    assert note.author_type == "staff"
    assert note.content.startswith("Zu Ihrer Meldung 13 (")
    assert "wurde am " in note.content
    assert "die Firma " in note.content
