"""``portal-gateway ixhaus check``: the live interface against the definition, on SQLite and
PostgreSQL sandboxes with deliberately broken interfaces (tables, columns, types, grants)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.adapters.factories import ixhaus_engine, ixhaus_tables
from app.adapters.ixhaus.interface_check import InterfaceProblem, check_interface
from app.adapters.ixhaus.schema import IxhausTables
from app.sandbox.ixhaus import seed
from tests.support.ixhaus_ddl import OWNER, DdlDatabase, ddl_database, run_sql


def _found(problems: list[InterfaceProblem]) -> set[tuple[str, str, str | None]]:
    return {(p.kind, p.table, p.column) for p in problems}


@pytest.fixture
async def sqlite_sandbox(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ixhaus.db'}"
    await seed(url, "small", 1)
    return url


async def test_a_complete_sqlite_sandbox_has_no_problems(sqlite_sandbox: str) -> None:
    engine = ixhaus_engine(sqlite_sandbox)
    try:
        report = await check_interface(engine, IxhausTables())
    finally:
        await engine.dispose()
    assert report.ok, report.problems
    assert report.tables == 21


async def test_sqlite_names_each_broken_table_column_and_type(sqlite_sandbox: str) -> None:
    engine = create_async_engine(sqlite_sandbox)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE ixp_work_orders"))
        await conn.execute(text("ALTER TABLE ixp_tickets DROP COLUMN rating_comment"))
        await conn.execute(text("DROP TABLE ixp_teams"))
        await conn.execute(text("CREATE TABLE ixp_teams (team_no VARCHAR(5), name VARCHAR(100))"))
        await conn.execute(text("DROP TABLE ixp_ticket_statuses"))
        await conn.execute(
            text("CREATE TABLE ixp_ticket_statuses (status_no VARCHAR(20), name TEXT, kind INT)")
        )
    await engine.dispose()
    engine = ixhaus_engine(sqlite_sandbox)
    try:
        report = await check_interface(engine, IxhausTables())
    finally:
        await engine.dispose()
    assert _found(report.problems) == {
        ("missing-table", "ixp_work_orders", None),
        ("missing-column", "ixp_tickets", "rating_comment"),
        ("wrong-type", "ixp_teams", "team_no"),
        ("wrong-type", "ixp_ticket_statuses", "kind"),
    }
    by_column = {(p.table, p.column): p for p in report.problems}
    # A missing column stops every read of its table; a wrong type the column's features.
    assert "tickets" in by_column["ixp_tickets", "rating_comment"].features
    assert "ratings" in by_column["ixp_tickets", "rating_comment"].features
    assert "needs at least text of 20 characters" in by_column["ixp_teams", "team_no"].detail
    assert by_column["ixp_work_orders", None].features == ["commissioning-notes"]  # rule T8
    assert "commissioning-notes" in report.affected


@pytest.fixture(scope="module")
def ddl() -> Iterator[DdlDatabase]:
    with ddl_database(OWNER) as database:
        yield database


async def _check(url: str) -> list[InterfaceProblem]:
    engine = ixhaus_engine(url)
    try:
        return (await check_interface(engine, ixhaus_tables(OWNER, "ixp_", {}))).problems
    finally:
        await engine.dispose()


@pytest.mark.server  # PostgreSQL
async def test_postgresql_interface_from_the_ddl_is_complete(ddl: DdlDatabase) -> None:
    assert await _check(ddl.role_url) == []


@pytest.mark.server  # PostgreSQL
async def test_postgresql_names_each_broken_column_view_and_grant(ddl: DdlDatabase) -> None:
    role = ddl.role
    breakage = [
        f"ALTER TABLE {OWNER}.ixp_tickets DROP COLUMN rated_at",
        f"ALTER TABLE {OWNER}.ixp_units ALTER COLUMN unit_no TYPE varchar(5)",
        f"ALTER TABLE {OWNER}.ixp_documents ALTER COLUMN created_at TYPE date",
        # A view instead of the table, without the portal mode (rules T4-T6).
        f"ALTER TABLE {OWNER}.ixp_ticket_types RENAME TO ixp_ticket_types_base",
        f"CREATE VIEW {OWNER}.ixp_ticket_types AS SELECT type_no, name, notify_unregistered,"
        f" note_on_commissioning, note_template FROM {OWNER}.ixp_ticket_types_base",
        f'GRANT SELECT ON {OWNER}.ixp_ticket_types TO "{role}"',
        f"DROP TABLE {OWNER}.ixp_work_orders",
        f'REVOKE SELECT ON {OWNER}.ixp_teams FROM "{role}"',
        f'REVOKE INSERT ON {OWNER}.ixp_notes FROM "{role}"',
        f'REVOKE UPDATE (rating_stars) ON {OWNER}.ixp_tickets FROM "{role}"',
    ]
    await run_sql(ddl.admin_url, *breakage)
    problems = await _check(ddl.role_url)
    assert _found(problems) == {
        ("missing-column", "ixp_tickets", "rated_at"),
        ("wrong-type", "ixp_units", "unit_no"),
        ("wrong-type", "ixp_documents", "created_at"),
        ("missing-column", "ixp_ticket_types", "portal_mode"),
        ("missing-table", "ixp_work_orders", None),
        ("missing-grant", "ixp_teams", None),
        ("missing-grant", "ixp_notes", None),
        ("missing-grant", "ixp_tickets", "rating_stars"),
    }
    by = {(p.table, p.column): p for p in problems}
    assert by["ixp_notes", None].features == ["tenant-messages"]  # rule N1: T10 messages
    assert by["ixp_notes", None].detail == "this user may not INSERT"
    assert by["ixp_tickets", "rating_stars"].features == ["ratings"]
    assert by["ixp_teams", None].detail == "this user may not SELECT"
    assert "teams" in by["ixp_teams", None].features  # rule C8
    assert by["ixp_documents", "created_at"].detail.endswith("needs a timestamp")  # rule D4
