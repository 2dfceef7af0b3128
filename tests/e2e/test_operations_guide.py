"""docs/operations.md cannot rot: its shell blocks run, in order, on a scratch installation
(a fresh virtual environment with the gateway installed from this checkout) - once for the
embedded shape (SQLite, one process) and once for the scaled one (PostgreSQL, Redis, API
processes and a worker) - from install through a first successful sync run against the
sandbox, alerts, an upgrade, a backup and its restore, to the uninstall. Every other block
says why it is not run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_URL, REDIS_URL
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
GUIDE = ROOT / "docs" / "operations.md"
TAGS = {"install", "embedded", "scaled", "both", "remove"}
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Settings of the environment this test runs in that must not leak into the guide's shell.
GATEWAY_VARIABLES = re.compile(
    r"^(DATABASE_URL|REDIS_URL|GATEWAY_SECRET_KEY|ARQ_QUEUE_NAME|WORKER_METRICS_.*|LOG_LEVEL)$"
)


@dataclass(frozen=True)
class Block:
    language: str
    tag: str
    body: str


def blocks() -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8")
    return [Block(m[1], m[2].strip(), m[3]) for m in FENCE.finditer(text)]


def script(*tags: str) -> str:
    return "\n".join(b.body for b in blocks() if b.language == "sh" and b.tag in tags)


def test_every_block_runs_or_says_why_not() -> None:
    found = blocks()
    assert len(found) > 20
    for block in found:
        if block.tag.startswith("not run"):
            assert re.match(r"not run: \S", block.tag), block.tag  # the reason
        else:
            assert block.language == "sh", block
            assert block.tag in TAGS, block.tag
    run = [b for b in found if not b.tag.startswith("not run")]
    assert len(run) >= 3 * len(found) // 4


def _environment(**values: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not GATEWAY_VARIABLES.match(k)}
    base.pop("VIRTUAL_ENV", None)
    # pip leaves the bytecode to the first import (a large share of an install's CPU time,
    # for modules the guide's commands never import); what gets installed is the same. pip
    # reads a `--no-x` option's variable by the option's own sense (PIP_NO_COMPILE=1 compiled
    # everything): the positive option, switched off, is what says "do not compile".
    return {**base, "PIP_COMPILE": "0", **values}


def _run(text: str, env: dict[str, str], cwd: Path, timeout: float) -> None:
    result = subprocess.run(  # the guide's commands, as an operator's shell runs them
        [BASH, "-euo", "pipefail", "-c", text],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    output = result.stdout.decode(errors="replace")
    if result.returncode != 0:
        logs = "".join(
            f"\n--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(Path(env.get("STATE", cwd)).glob("*.log"))
        )
        pytest.fail(f"the guide failed (exit {result.returncode}):\n{output[-6000:]}{logs}")


def _stop_left_over(state: Path) -> None:
    """Processes the guide started and did not stop (it failed before its uninstall)."""
    for pid_file in state.glob("*.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch installation: the guide's install blocks, once for both shapes."""
    folder = tmp_path_factory.mktemp("ops-install") / "portal-gateway"
    env = _environment(PREFIX=str(folder), GATEWAY_SOURCE=str(ROOT))
    _run(script("install"), env, folder.parent, timeout=900)
    assert (folder / "bin" / "portal-gateway").exists()
    return folder


def _shape_env(prefix: Path, home: Path, **extra: str) -> dict[str, str]:
    return _environment(
        PREFIX=str(prefix),
        GATEWAY_SOURCE=str(ROOT),
        STATE=str(home / "state"),
        BACKUP=str(home / "backup"),
        GATEWAY_PORT=str(free_port()),
        CASAVI_PORT=str(free_port()),
        DOCUWARE_PORT=str(free_port()),
        **extra,
    )


def test_embedded_shape_from_install_to_uninstall(prefix: Path, tmp_path: Path) -> None:
    env = _shape_env(prefix, tmp_path)
    try:
        _run(script("embedded", "both"), env, tmp_path, timeout=900)
    finally:
        _stop_left_over(tmp_path / "state")
    assert not (tmp_path / "state").exists()  # uninstalled
    assert (tmp_path / "backup" / "state.db").exists()  # the backup is kept


async def _admin(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def database() -> Iterator[str]:
    name = f"pgw_ops_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        asyncio.run(
            _admin(
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"'
            )
        )


def test_scaled_shape_from_install_to_uninstall(
    prefix: Path, tmp_path: Path, database: str
) -> None:
    env = _shape_env(
        prefix,
        tmp_path,
        PGADMIN=PG_ADMIN_URL,
        GATEWAY_DB=database,
        REDIS_URL=REDIS_URL,
        ARQ_QUEUE_NAME=f"pgw-ops:{uuid.uuid4().hex[:8]}",
        WORKER_METRICS_PORT=str(free_port()),
    )
    try:
        _run(script("scaled", "both"), env, tmp_path, timeout=900)
    finally:
        _stop_left_over(tmp_path / "state")
    assert not (tmp_path / "state").exists()
    assert (tmp_path / "backup" / "gateway.dump").exists()


def test_removing_the_software(prefix: Path, tmp_path: Path) -> None:
    _run(script("remove"), _environment(PREFIX=str(prefix)), tmp_path, timeout=60)
    assert not prefix.exists()
