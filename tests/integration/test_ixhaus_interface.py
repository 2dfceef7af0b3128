"""The interface made by ``portal-gateway ixhaus ddl`` on PostgreSQL works: a sync reads it as
the gateway's own database user (with exactly the DDL's grants) and inbound writes into it;
and a broken one shows in the connection check and in ``portal-gateway ixhaus check``.
The gateway's own state is SQLite (the embedded default)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.factories import ixhaus_engine, ixhaus_tables
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.ixhaus.writer import IxhausWriter
from app.adapters.store import migrate
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.cli import main
from app.composition import build_services
from app.configuration.checks import CheckReport, check_system
from app.configuration.secrets import SecretBox
from app.domain.records import InboundNote, InboundTicket
from app.environment import get_settings
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
from app.sandbox.config import sandbox_config_patch
from app.sandbox.ixhaus import sandbox_sync_config, seed
from app.sync.runs import execute_run
from tests.fakes import FakeQueue
from tests.support.inprocess import IN_PROCESS_CASAVI, InProcessTransport, reach, serve_in_process
from tests.support.ixhaus_ddl import OWNER, DdlDatabase, ddl_database, run_sql

SECRET_KEY = base64.urlsafe_b64encode(b"ixhaus-interface-test-key-012345").decode()
WHEN = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
async def sessions(state_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(state_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@dataclass
class Casavi:
    base_url: str
    served: InProcessTransport


@pytest.fixture
async def casavi(tmp_path: Path) -> AsyncIterator[Casavi]:
    """The casavi simulator in process (the gateway reaches it through ``reach``)."""
    app = create_casavi_simulator(tmp_path / "casavi.db")
    try:
        async with serve_in_process(app) as served:
            yield Casavi(IN_PROCESS_CASAVI, served)
    finally:
        app.simulator.store.close()


@pytest.fixture(scope="module")
def filled() -> Iterator[DdlDatabase]:
    """The DDL's interface, filled with the small sandbox portfolio by its owner."""
    with ddl_database() as database:
        asyncio.run(seed(database.admin_url, "small", 1, tables=_tables(), create=False))
        yield database


def _tables() -> IxhausTables:
    return ixhaus_tables(OWNER, "ixp_", {})


async def test_a_sync_reads_the_interface_the_ddl_made(
    filled: DdlDatabase, sessions: async_sessionmaker[AsyncSession], casavi: Casavi
) -> None:
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        view = await ConfigRows(session, box).patch(
            "test",
            {
                **sandbox_config_patch("small"),
                "active": True,
                "casavi": {"baseUrl": casavi.base_url},
                "ixhaus": {"schema": OWNER},
                "documentTypes": {"withTimeFilter": [], "withoutTimeFilter": []},
                "secrets": {
                    # The gateway's own user: only the DDL's grants.
                    "ixhausDatabaseUrl": _twice(filled.role_url),
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
            "test",
        )
    assert view.catalogue_check is not None
    assert view.catalogue_check.status == "validated"  # rules C3-C8, C11 read as that user
    services = build_services(sessions, box, FakeQueue(), transport=reach(casavi))
    try:
        run, _ = await services.runs.request("test", trigger="test", requested_by="test")
        outcome = await execute_run(services, run.id)
        done = await services.runs.get(run.id)
    finally:
        await services.aclose()
    assert outcome == "succeeded", done
    assert done is not None
    assert done.sent > 100
    assert done.errors == 0

    # rule T10: inbound writes as the same user - a tenant's ticket, a message, a rating
    # and the two-way fields (the DDL's INSERT and column UPDATE grants).
    engine = ixhaus_engine(filled.role_url)
    user = sandbox_sync_config("small").ticket_user_no
    assert user is not None
    writer = IxhausWriter(engine, user, _tables())
    try:
        ticket = InboundTicket(
            source_ref="casavi-ddl-1",
            type_no="SCHADEN",
            subject="Heizung",
            object_no="1001",
            reported_at=WHEN,
        )
        number = await writer.insert_ticket(ticket)
        assert await writer.insert_ticket(ticket) == number  # idempotent by source_ref
        await writer.insert_note(
            InboundNote(source_ref="m-ddl-1", ticket_no=number, created_at=WHEN, content="Danke")
        )
        await writer.set_rating(number, 5, "gut", WHEN)
        await writer.update_ticket_fields(number, {"subject": "Heizung kalt", "due_from": None})
        stored = await writer.ticket(number)
    finally:
        await engine.dispose()
    assert stored is not None
    assert stored.subject == "Heizung kalt"


@pytest.fixture
def broken() -> Iterator[DdlDatabase]:
    with ddl_database() as database:
        asyncio.run(
            run_sql(
                database.admin_url,
                f"ALTER TABLE {OWNER}.ixp_documents DROP COLUMN source_ref",
                f'REVOKE INSERT ON {OWNER}.ixp_tickets FROM "{database.role}"',
            )
        )
        yield database


def test_the_connection_check_and_the_cli_show_a_broken_interface(
    broken: DdlDatabase, state_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    async def configure_and_check() -> CheckReport:
        engine = create_engine(state_url)
        try:
            configs = SqlConfigs(create_session_factory(engine), SecretBox(SECRET_KEY))
            await configs.patch(
                "test",
                {
                    "ixhaus": {"schema": OWNER},
                    "secrets": {"ixhausDatabaseUrl": _twice(broken.role_url)},
                },
                "test",
            )
            return await check_system(configs, "test")
        finally:
            await engine.dispose()

    report = asyncio.run(configure_and_check())
    assert report.ixhaus.status == "failed"
    assert "2 problem(s) in the interface" in report.ixhaus.reason
    interface = report.ixhaus_interface
    assert interface is not None
    assert interface.report is not None
    found = {(p.kind, p.table, p.column) for p in interface.report.problems}
    assert found == {
        ("missing-column", "ixp_documents", "source_ref"),
        ("missing-grant", "ixp_tickets", None),
    }
    assert {"documents", "tenant-attachments", "tenant-tickets"} <= set(interface.report.affected)

    monkeypatch.setenv("DATABASE_URL", state_url)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    try:
        code = main(["ixhaus", "check", "--system", "test"])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 1
    assert "test: 2 problem(s) in the iX-Haus interface" in out
    assert "missing-column  ixp_documents.source_ref" in out
    assert "missing-grant   ixp_tickets: this user may not INSERT" in out
    assert "tenant-tickets: tenants' tickets into iX-Haus (T10, C11)" in out
    assert broken.role_url not in out
