"""Load the iX-Haus catalogue a configuration is validated against (small, bounded reads)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.ixhaus.schema import IxhausTables
from app.domain.catalogue import IxhausCatalogue, IxhausUser


def catalogue_statements(tables: IxhausTables) -> dict[str, Select[Any]]:
    users = tables.users.c
    return {
        "objects": select(tables.objects.c.object_no),
        # The type tables, not the values in use: enabling a type before the first record of
        # it exists (e.g. owners, "EIGENTUEMER") must work.
        "person_types": select(tables.person_types.c.type_no),
        "document_types": select(tables.document_types.c.type_no),
        "ticket_types": select(tables.ticket_types.c.type_no),
        "teams": select(tables.teams.c.team_no),
        "users": select(users.user_no, users.active, users.plus_rights),
    }


async def load_catalogue(engine: AsyncEngine, tables: IxhausTables) -> IxhausCatalogue:
    statements = catalogue_statements(tables)
    async with engine.connect() as conn:
        codes = {
            name: frozenset((await conn.scalars(statements[name])).all())
            for name in ("objects", "person_types", "document_types", "ticket_types", "teams")
        }
        users = (await conn.execute(statements["users"])).all()
    return IxhausCatalogue(
        object_numbers=codes["objects"],
        person_types=codes["person_types"],
        document_types=codes["document_types"],
        ticket_types=codes["ticket_types"],
        teams=codes["teams"],
        users={
            no: IxhausUser(number=no, active=bool(active), plus_rights=bool(rights))
            for no, active, rights in users
        },
    )


async def load_catalogue_from(
    url: str, schema: str | None, prefix: str, table_names: dict[str, str], *, seconds: float
) -> IxhausCatalogue:
    """Connect with ``url`` (a secret: never put it in an error), read, disconnect."""
    from app.adapters.factories import ixhaus_engine, ixhaus_tables

    tables = ixhaus_tables(schema, prefix, table_names)
    engine = ixhaus_engine(url)
    try:
        async with asyncio.timeout(seconds):
            return await load_catalogue(engine, tables)
    finally:
        await engine.dispose()
