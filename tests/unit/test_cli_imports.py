"""The CLI stays light: building the parser imports no web, database or HTTP stack.

``portal-gateway --help`` builds every sub-parser; each command's own module is imported only
when that command runs, and a command imports only what it uses (no alembic for a database
at the head, no app in the supervisor of ``serve --workers N``, no HTTP stack for the iX-Haus
checks). Checked in a fresh interpreter (``sys.modules``), never by timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest

from app.adapters.store import migrate
from app.api.schemas import PlannedEntity
from app.sync.outbound.plan import PLANNED_KINDS

HEAVY = ("litestar", "sqlalchemy", "httpx", "alembic", "arq", "redis", "asyncpg", "oracledb")

_PROBE = """
import json, sys
import app.cli
app.cli.build_parser()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _loaded(probe: str, *args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules (top-level names, and ``app``'s in full) a fresh interpreter loaded."""
    shown = (
        "\nimport json, sys\n"
        "print(json.dumps(sorted({n if n.startswith('app.') else n.split('.')[0]"
        " for n in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe + shown, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.server  # a subprocess
def test_building_the_parser_imports_no_heavy_stack() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True
    ).stdout
    loaded = set(json.loads(out))
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


@pytest.mark.server  # subprocesses
def test_migrating_a_database_at_the_head_leaves_alembic_out(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    probe = "import sys\nfrom app.adapters.store import migrate\nmigrate.upgrade(sys.argv[1])"
    assert "alembic" in _loaded(probe, url)  # a new database: alembic creates the tables
    assert "alembic" not in _loaded(probe, url)  # at the head: nothing to run
    assert asyncio.run(migrate.current_revision(url)) == migrate.head_revision()


@pytest.mark.server  # a subprocess
def test_the_supervisor_of_several_api_processes_does_not_import_the_app() -> None:
    probe = (
        "import uvicorn\n"
        "uvicorn.run = lambda *args, **kwargs: print(kwargs['workers'])\n"
        "from app.cli import main\n"
        "assert main(['serve', '--workers', '2']) == 0\n"
    )
    env = {"DATABASE_URL": "postgresql://gateway@127.0.0.1:1/gateway"}
    loaded = _loaded(probe, env={**env, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))
    assert "app.asgi" not in loaded


@pytest.mark.server  # a subprocess
def test_the_ixhaus_commands_leave_the_http_stack_and_the_orm_out() -> None:
    # `ixhaus ddl` renders DDL with SQLAlchemy's Core; `ixhaus check` and the catalogue check
    # of `config set` build an iX-Haus engine through the adapters' factories.
    loaded = _loaded("import app.adapters.ixhaus.ddl, app.adapters.factories")
    assert {"httpx", "litestar", "alembic"}.isdisjoint(loaded)
    ddl = _loaded("import app.adapters.ixhaus.ddl")
    assert not {"app.adapters.ixhaus.reader", "app.adapters.ixhaus.writer"} & ddl


def test_the_sync_parser_offers_exactly_the_planned_kinds() -> None:
    assert list(get_args(PlannedEntity)) == [kind.value for kind in PLANNED_KINDS]


def test_the_quick_head_is_alembics_head() -> None:
    assert migrate.quick_head() == migrate.head_revision()


def test_the_quick_head_leaves_a_branched_history_to_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for rev, down in (("a", None), ("b", "a"), ("c", "a")):
        (versions / f"{rev}.py").write_text(
            f'revision: str = "{rev}"\ndown_revision: str | None = {down!r}\n', encoding="utf-8"
        )
    monkeypatch.setenv("GATEWAY_MIGRATIONS_DIR", str(tmp_path))
    assert migrate.quick_head() is None
    (versions / "d.py").write_text(
        'revision: str = "d"\ndown_revision = ("b", "c")\n', encoding="utf-8"
    )
    assert migrate.quick_head() is None
