"""Sandbox iX-Haus portfolio: creates the interface schema and fills it with German data.

Entry points:
- ``await seed(engine_or_url, profile="small", seed=0, today=None)`` - for tests and demo.
- ``await seed_database(url, profile, seed)`` - for ``portal-gateway sandbox seed``.
A profile is one of ``PROFILES`` by name, or a ``ProfileSpec`` of its own (a test that
needs a portfolio of a particular shape).
Deterministic by seed (and ``today``, to which every date edge is relative).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date
from itertools import chain

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateSchema

from app.adapters.ixhaus.schema import IxhausTables
from app.environment import normalise_database_url
from app.sandbox.ixhaus import documents as d
from app.sandbox.ixhaus import master_data as md
from app.sandbox.ixhaus import people as pp
from app.sandbox.ixhaus import tickets as tk
from app.sandbox.ixhaus.context import Context, Row
from app.sandbox.ixhaus.loader import load_rows, reset_identity
from app.sandbox.ixhaus.profiles import PROFILES, ProfileSpec, sandbox_sync_config

__all__ = ["ProfileSpec", "SeedReport", "sandbox_sync_config", "seed", "seed_database"]


class SeedReport(msgspec.Struct, frozen=True, kw_only=True):
    profile: str
    seed: int
    today: date
    seconds: float
    counts: dict[str, int]
    edges: dict[str, tuple[str, ...]]


def _plan(ctx: Context) -> list[tuple[str, Callable[[], Iterable[Row]]]]:
    holders: list[Row] = []

    def contracts() -> Iterable[Row]:
        rows, people = md.contracts_and_holders(ctx)
        holders.extend(people)
        return rows

    return [
        ("objects", lambda: md.objects(ctx)),
        ("units", lambda: md.units(ctx)),
        ("users", lambda: md.users(ctx)),
        ("person_types", lambda: pp.person_types(ctx)),
        ("teams", lambda: md.teams(ctx)),
        ("team_members", lambda: md.team_members(ctx)),
        ("object_rights", lambda: md.object_rights(ctx)),
        ("object_responsibles", lambda: md.object_responsibles(ctx)),
        ("contracts", contracts),
        ("persons", lambda: chain(holders, pp.other_persons(ctx))),
        ("partner_relations", lambda: pp.partner_relations(ctx)),
        ("owners", lambda: pp.owners(ctx)),
        ("caretakers", lambda: pp.caretakers(ctx)),
        ("ticket_types", lambda: tk.ticket_types(ctx)),
        ("ticket_statuses", lambda: tk.ticket_statuses(ctx)),
        ("ticket_priorities", lambda: tk.ticket_priorities(ctx)),
        ("tickets", lambda: tk.tickets(ctx)),
        ("notes", lambda: tk.notes(ctx)),
        ("work_orders", lambda: tk.work_orders(ctx)),
        ("document_types", lambda: d.document_types(ctx)),
        ("documents", lambda: d.documents(ctx)),
    ]


async def seed(
    engine_or_url: AsyncEngine | str,
    profile: str | ProfileSpec = "small",
    seed: int = 0,
    *,
    today: date | None = None,
    tables: IxhausTables | None = None,
    batch_size: int = 10_000,
    create: bool = True,
) -> SeedReport:
    """(Re)create the interface schema and fill it with the ``profile`` portfolio.
    ``create=False`` fills tables that exist and are empty (e.g. made from the DDL of
    ``portal-gateway ixhaus ddl``)."""
    if isinstance(profile, str) and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    spec = PROFILES[profile] if isinstance(profile, str) else profile
    owned = isinstance(engine_or_url, str)
    engine = (
        create_async_engine(normalise_database_url(engine_or_url))
        if isinstance(engine_or_url, str)
        else engine_or_url
    )
    tables = tables or IxhausTables()
    started = time.perf_counter()
    ctx = Context(spec, seed, today or date.today())
    counts: dict[str, int] = {}
    try:
        if create:
            async with engine.begin() as conn:
                schema = tables.metadata.schema
                if schema and conn.dialect.name == "postgresql":
                    await conn.execute(CreateSchema(schema, if_not_exists=True))
                await conn.run_sync(tables.metadata.drop_all)
                await conn.run_sync(tables.metadata.create_all)
        async with engine.begin() as conn:
            for logical, rows in _plan(ctx):
                table = tables.all()[logical]
                counts[logical] = await load_rows(conn, table, rows(), batch_size)
            await reset_identity(conn, tables.tickets, "ticket_no")
            await reset_identity(conn, tables.notes, "note_id")
    finally:
        if owned:
            await engine.dispose()
    return SeedReport(
        profile=profile if isinstance(profile, str) else "custom",
        seed=seed,
        today=ctx.today,
        seconds=round(time.perf_counter() - started, 3),
        counts=counts,
        edges={
            "contracts": tuple(e.name for e in md.CONTRACT_EDGES),
            "tickets": tuple(e.name for e in tk.TICKET_EDGES),
            "documents": tuple(e.name for e in d.DOCUMENT_EDGES),
        },
    )


_seed_portfolio = seed  # the parameter ``seed`` below shadows the function


async def seed_database(url: str, profile: str | ProfileSpec, seed: int) -> SeedReport:
    """CLI entry: ``portal-gateway sandbox seed --profile P --db URL --seed N``."""
    return await _seed_portfolio(url, profile, seed)
