"""The live iX-Haus interface against its definition (``portal-gateway ixhaus check``).

Reads what the gateway's database user sees: every table or view of the interface must
exist, have every column with a compatible type, be readable, and accept inserts and the
column updates where inbound writes (``contract.py``). Grants are probed with statements
that touch no row (``WHERE 1 = 0``) in a transaction that is rolled back, so roles and
column grants count as the database itself counts them. SQLite has no grants.

Each problem names the features it stops. Nothing here reads a row or prints the URL.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError, NoSuchTableError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import (
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    TypeEngine,
)

from app.adapters.ixhaus.contract import FEATURES, USES, column_features, update_features
from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.ixhaus.types import UTCDateTime

ProblemKind = Literal["missing-table", "missing-column", "wrong-type", "missing-grant"]


class InterfaceProblem(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    kind: ProblemKind
    table: str
    column: str | None = None
    detail: str
    features: list[str]


class InterfaceReport(msgspec.Struct, rename="camel", kw_only=True):
    dialect: str
    tables: int
    problems: list[InterfaceProblem]
    # Feature ids -> what an operator misses, for every feature a problem stops.
    affected: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_interface(engine: AsyncEngine, tables: IxhausTables) -> InterfaceReport:
    problems: list[InterfaceProblem] = []
    async with engine.connect() as conn:
        found = await conn.run_sync(_reflect, tables)
        await conn.rollback()  # each grant probe runs in a transaction of its own
        for logical, table in tables.all().items():
            columns = found.get(logical)
            if columns is None:
                problems.append(_missing_table(logical, table.name, conn.dialect.name))
                continue
            problems.extend(_columns(logical, table, columns))
            if conn.dialect.name != "sqlite":
                present = [c.name for c in table.columns if c.name in columns]
                problems.extend(await _grants(conn, logical, table, present))
    return report(engine.dialect.name, len(tables.all()), problems)


def report(dialect: str, count: int, problems: list[InterfaceProblem]) -> InterfaceReport:
    affected = sorted({feature for problem in problems for feature in problem.features})
    return InterfaceReport(
        dialect=dialect,
        tables=count,
        problems=problems,
        affected={feature: FEATURES[feature] for feature in affected},
    )


async def check_interface_from(
    url: str, schema: str | None, prefix: str, table_names: dict[str, str], *, seconds: float
) -> InterfaceReport:
    """Connect with ``url`` (a secret: never put it in an error), check, disconnect."""
    from app.adapters.factories import ixhaus_engine, ixhaus_tables

    tables = ixhaus_tables(schema, prefix, table_names)
    engine = ixhaus_engine(url)
    try:
        async with asyncio.timeout(seconds):
            return await check_interface(engine, tables)
    finally:
        await engine.dispose()


def _reflect(conn: Connection, tables: IxhausTables) -> dict[str, dict[str, TypeEngine[Any]]]:
    inspector = inspect(conn)
    found: dict[str, dict[str, TypeEngine[Any]]] = {}
    for logical, table in tables.all().items():
        try:
            columns = inspector.get_columns(table.name, schema=table.schema)
        except NoSuchTableError:
            continue
        if columns:  # SQLite answers an unknown table with no columns
            found[logical] = {str(c["name"]).lower(): c["type"] for c in columns}
    return found


def _missing_table(logical: str, name: str, dialect: str) -> InterfaceProblem:
    detail = "no such table or view"
    if dialect == "oracle":
        detail += " visible to this user (missing, or no SELECT grant)"
    return InterfaceProblem(
        kind="missing-table", table=name, detail=detail, features=list(USES[logical].features)
    )


def _columns(
    logical: str, table: Any, columns: dict[str, TypeEngine[Any]]
) -> list[InterfaceProblem]:
    problems = []
    for column in table.columns:
        actual = columns.get(column.name)
        if actual is None:
            problems.append(
                InterfaceProblem(
                    kind="missing-column",
                    table=table.name,
                    column=column.name,
                    detail=f"missing (every read of {table.name} selects it)",
                    features=list(USES[logical].features),
                )
            )
            continue
        mismatch = type_mismatch(column.type, actual)
        if mismatch:
            problems.append(
                InterfaceProblem(
                    kind="wrong-type",
                    table=table.name,
                    column=column.name,
                    detail=mismatch,
                    features=list(column_features(logical, column.name)),
                )
            )
    return problems


def type_mismatch(expected: TypeEngine[Any], actual: TypeEngine[Any]) -> str | None:
    """Why ``actual`` cannot carry what ``expected`` holds, or None when it can."""
    want = _describe(expected)
    if isinstance(expected, Text) or (isinstance(expected, String) and not expected.length):
        return None if isinstance(actual, String) else f"is {actual}, needs text"
    if isinstance(expected, String):
        if not isinstance(actual, String):
            return f"is {actual}, needs {want}"
        if actual.length is not None and actual.length < (expected.length or 0):
            return f"is {actual}, needs at least {want}"
        return None
    if isinstance(expected, Boolean):
        ok = isinstance(actual, Boolean | Integer) or _whole_number(actual)
        return None if ok else f"is {actual}, needs a boolean (or a 0/1 number)"
    if isinstance(expected, Integer):
        return None if _whole_number(actual) else f"is {actual}, needs {want}"
    if isinstance(expected, UTCDateTime | DateTime):
        return None if isinstance(actual, DateTime) else f"is {actual}, needs a timestamp"
    if isinstance(expected, Date):
        return None if isinstance(actual, Date | DateTime) else f"is {actual}, needs a date"
    return None


def _whole_number(actual: TypeEngine[Any]) -> bool:
    if isinstance(actual, Integer):
        return True
    return isinstance(actual, Numeric) and not actual.scale and not isinstance(actual, Boolean)


def _describe(expected: TypeEngine[Any]) -> str:
    if isinstance(expected, String) and expected.length:
        return f"text of {expected.length} characters"
    if isinstance(expected, Integer):
        return "a whole number"
    return str(expected)


async def _grants(
    conn: AsyncConnection, logical: str, table: Any, present: list[str]
) -> list[InterfaceProblem]:
    use = USES[logical]
    preparer = conn.dialect.identifier_preparer
    name = preparer.format_table(table)
    listed = ", ".join(preparer.quote(c) for c in present)
    problems: list[InterfaceProblem] = []

    def missing(
        privilege: str, refusal: str, features: tuple[str, ...], column: str | None
    ) -> None:
        problems.append(
            InterfaceProblem(
                kind="missing-grant",
                table=table.name,
                column=column,
                detail=f"this user may not {privilege}{refusal}",
                features=list(features),
            )
        )

    # Identifiers only, from the definition and quoted by the dialect: no value is built in.
    probe = f"SELECT {listed} FROM {name} WHERE 1 = 0"  # noqa: S608
    refused = await _refusal(conn, probe) if present else None
    if refused is not None:
        missing("SELECT", refused, use.features, None)
        return problems  # the write probes read the table too
    key = preparer.quote(table.primary_key.columns[0].name)
    if use.inserts:
        probe = f"INSERT INTO {name} ({key}) SELECT {key} FROM {name} WHERE 1 = 0"  # noqa: S608
        refused = await _refusal(conn, probe)
        if refused is not None:
            missing("INSERT", refused, use.insert_features, None)
    for column in use.updates:
        if column not in present:
            continue
        quoted = preparer.quote(column)
        probe = f"UPDATE {name} SET {quoted} = {quoted} WHERE 1 = 0"  # noqa: S608
        refused = await _refusal(conn, probe)
        if refused is not None:
            missing(f"UPDATE ({column})", refused, update_features(logical, column), column)
    return problems


async def _refusal(conn: AsyncConnection, statement: str) -> str | None:
    """None when the database lets this user run ``statement`` (it touches no row), else
    why not: "" for a missing privilege, the error's kind for anything else (a view that
    cannot be written, say)."""
    transaction = await conn.begin()
    try:
        await conn.execute(text(statement))
    except DBAPIError as exc:
        if _denied(exc):
            return ""
        code = getattr(exc.orig, "sqlstate", None)
        return f" ({type(exc.orig).__name__}{f' {code}' if code else ''})"
    finally:
        await transaction.rollback()
    return None


def _denied(exc: DBAPIError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code == "42501":  # PostgreSQL: insufficient_privilege
        return True
    message = str(orig)
    return "ORA-01031" in message or "permission denied" in message.lower()
