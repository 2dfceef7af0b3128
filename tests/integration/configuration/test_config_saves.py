"""How a configuration save meets the database: each table read once, under the row's lock.

A save answers with the view built from the rows it holds; these tests pin that the answer is
what a fresh read shows, that nothing is read twice (every refused or accepted save of the
API, the console and the CLI pays for each statement), and that a PATCH reads the document it
patches under the lock, so a save committed while it waited is not undone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import SystemConfig
from app.configuration.secrets import SecretBox
from tests.integration.configuration.conftest import SECRET_KEY, unique_secret

_TABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.S)


@pytest.fixture
async def engine(migrated_pg: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_pg)
    yield engine
    await engine.dispose()


@pytest.fixture
def configs(engine: AsyncEngine) -> SqlConfigs:
    return SqlConfigs(create_session_factory(engine), SecretBox(SECRET_KEY))


def _statements(engine: AsyncEngine) -> list[tuple[str, str]]:
    """(verb, table) of every statement ``engine`` runs from now on."""
    seen: list[tuple[str, str]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(*args: Any) -> None:
        found = _TABLE.match(args[2])
        if found:
            seen.append((found.group(1), found.group(2)))

    return seen


def _secret(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def test_a_save_reads_each_table_once_and_answers_what_a_read_shows(
    engine: AsyncEngine, configs: SqlConfigs
) -> None:
    patches: list[dict[str, Any]] = [
        # a new secret and a setting
        {
            "schedule": {"intervalMinutes": 7},
            "secrets": {"casaviApiKey": _secret(unique_secret("a"))},
        },
        # the stored secret replaced, another one added
        {
            "secrets": {
                "casaviApiKey": _secret(unique_secret("b")),
                "casaviSecret": _secret(unique_secret("c")),
            }
        },
        {"schedule": {"intervalMinutes": 7}},  # nothing changes
    ]
    for number, patch in enumerate(patches):
        statements = _statements(engine)
        answer = await configs.patch("test", patch, "test")
        reads = [table for verb, table in statements if verb == "SELECT"]
        assert reads == ["system_configs", "system_secrets"], (number, statements)
        fresh = await configs.view("test")
        assert msgspec.to_builtins(answer) == msgspec.to_builtins(
            msgspec.structs.replace(fresh, catalogue_check=answer.catalogue_check)
        ), number
    assert fresh.version == 2
    assert fresh.secrets.casavi_api_key.is_set
    assert fresh.secrets.casavi_secret.is_set
    assert await configs.secret("test", "casaviSecret") is not None


async def _wait_until_blocked(engine: AsyncEngine, waiter: asyncio.Task[Any]) -> None:
    """Until another connection waits for a row lock on the configurations."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query LIKE '%system_configs%'"
    )
    while not waiter.done():
        # A transaction of its own each time: within one, pg_stat_activity holds still.
        async with engine.connect() as conn:
            if await conn.scalar(query):
                return
        await asyncio.sleep(0.01)
    await waiter  # it finished without waiting: what it raised, or the failure below
    raise AssertionError("the PATCH did not wait for the configuration's row lock")


async def test_a_patch_applies_over_a_save_that_committed_while_it_waited(
    engine: AsyncEngine, configs: SqlConfigs
) -> None:
    async with engine.connect() as other:
        # Another save holds the row; the PATCH waits for it, then must see its result.
        await other.execute(
            text("SELECT version FROM system_configs WHERE system = 'test' FOR UPDATE")
        )
        patching = asyncio.create_task(configs.patch("test", {"personTypes": ["MIETER"]}, "a"))
        await _wait_until_blocked(engine, patching)
        await other.execute(
            update(SystemConfig)
            .where(SystemConfig.system == "test")
            .values(settings={"portalAccountLeadDays": 30}, version=SystemConfig.version + 1)
        )
        await other.commit()
    answer = await patching
    stored = await configs.view("test")
    assert (stored.portal_account_lead_days, stored.person_types) == (30, ["MIETER"])
    assert stored.version == answer.version == 2
