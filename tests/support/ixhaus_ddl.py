"""A throwaway PostgreSQL database whose iX-Haus interface was made by ``ixhaus ddl``, and a
login role with exactly the grants that DDL gives."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from app.adapters.ixhaus.ddl import interface_ddl
from tests.conftest import PG_ADMIN_URL

OWNER = "ixowner"


@dataclass(frozen=True)
class DdlDatabase:
    admin_url: str  # the superuser, as the owner's DBA
    role_url: str  # the gateway's database user
    role: str


async def run_sql(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def ddl_database(owner: str = OWNER) -> Iterator[DdlDatabase]:
    name = f"pgw_ddl_{uuid.uuid4().hex[:10]}"
    role = f"pgw_gw_{uuid.uuid4().hex[:8]}"
    base = PG_ADMIN_URL.rpartition("/")[0]
    asyncio.run(run_sql(PG_ADMIN_URL, f'CREATE DATABASE "{name}"', f'CREATE ROLE "{role}" LOGIN'))
    admin_url = f"{base}/{name}"
    try:
        asyncio.run(run_sql(admin_url, interface_ddl("postgresql", owner, role)))
        host = base.split("@", 1)[1]
        yield DdlDatabase(admin_url, f"postgresql://{role}@{host}/{name}", role)
    finally:
        asyncio.run(
            run_sql(
                PG_ADMIN_URL,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'DROP ROLE IF EXISTS "{role}"',
            )
        )
