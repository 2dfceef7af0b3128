"""``portal-gateway sync`` (issue 13): a run from the command line with progress and a
summary, and ``--dry-run`` printing the plan - the real console script in a subprocess
against real PostgreSQL and the casavi simulator on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import sys
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.ixhaus.schema import IxhausTables
from app.adapters.store.database import create_engine
from app.adapters.store.models import SyncRun
from app.configuration.secrets import SecretBox
from app.environment import normalise_database_url
from tests.integration.sync.conftest import SECRET_KEY, point_at_simulator
from tests.support.casavi import SimHandle, simulator  # noqa: F401 - fixtures

CLI = str(Path(sys.executable).with_name("portal-gateway"))


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return {**env, "DATABASE_URL": database_url, "GATEWAY_SECRET_KEY": SECRET_KEY}


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        CLI, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


async def _cli_on_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """The command with a pseudo-terminal as its output (what an operator sees)."""
    leader, follower = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        CLI, *args, env=env, stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks: list[bytes] = []
    loop = asyncio.get_running_loop()
    while True:
        try:
            chunk = await loop.run_in_executor(None, os.read, leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return await asyncio.wait_for(proc.wait(), 60), b"".join(chunks).decode()


async def test_sync_command_runs_with_progress_and_prints_the_plan(
    sessions: async_sessionmaker[AsyncSession],
    active_test_system: SecretBox,
    simulator: SimHandle,  # noqa: F811
    migrated_pg: str,
    ixhaus_url: str,
) -> None:
    await point_at_simulator(sessions, active_test_system, simulator.base_url)
    env = _env(migrated_pg)

    code, plan = await _cli(env, "sync", "--system", "test", "--dry-run")
    assert code == 0, plan
    assert "nothing was sent" in plan
    assert "  create  object:1001" in plan
    assert (await simulator.stats())["requests"] == 0

    # Not a terminal: one line per stage, then the summary; exit 0 for succeeded.
    code, out = await _cli(env, "sync", "--system", "test")
    assert code == 0, out
    assert "object done; sent 3," in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("run ")
    assert " succeeded in " in summary
    async with sessions() as session:
        run = (await session.scalars(select(SyncRun).order_by(SyncRun.id.desc()))).first()
    assert run is not None
    assert (run.trigger, run.status) == ("cli", "succeeded")
    assert f"sent {run.sent}," in summary
    assert run.sent > 0

    # On a terminal: a progress bar redrawn in place; nothing changed, nothing sent.
    code, screen = await _cli_on_terminal(env, "sync", "--system", "test")
    assert code == 0, screen
    assert "\r[" in screen
    assert "#" in screen
    assert "succeeded" in screen
    assert " sent 0, " in screen.strip().splitlines()[-1]

    # A change in iX-Haus shows in the plan with its field, as JSON too.
    tables = IxhausTables()
    engine = create_engine(normalise_database_url(ixhaus_url))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(tables.objects)
                .where(tables.objects.c.object_no == "1001")
                .values(name="Neu benannt")
            )
    finally:
        await engine.dispose()
    code, out = await _cli(
        env, "sync", "--system", "test", "--dry-run", "--entity", "object", "--json"
    )
    assert code == 0, out
    plan_json = json.loads(out.strip().splitlines()[-1])
    assert plan_json["items"] == [
        {
            "entityType": "object",
            "entityKey": "object:1001",
            "action": "update",
            "fields": ["name"],
            "reasonCode": None,
            "reasonText": None,
        }
    ]
    code, out = await _cli(env, "sync", "--system", "test", "--entity", "object")
    assert code == 2
    assert "--dry-run only" in out
    async with sessions() as session:
        runs = await session.scalar(select(func.count()).select_from(SyncRun))
    assert runs == 2  # dry runs and the refused call started none

    # casavi refuses everything: the run fails, the summary says why, exit 1.
    await simulator.faults(fail_next=10_000, fail_status=503)
    code, out = await _cli(env, "sync", "--system", "test")
    assert code == 1, out
    assert " failed in " in out
    assert "casavi" in out
