"""The CLI stays light: building the parser imports no web, database or HTTP stack.

``portal-gateway --help`` builds every sub-parser; each command's own module is imported only
when that command runs. Checked in a fresh interpreter (``sys.modules``), never by timing.
"""

from __future__ import annotations

import json
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


@pytest.mark.server  # a subprocess
def test_building_the_parser_imports_no_heavy_stack() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True
    ).stdout
    loaded = set(json.loads(out))
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


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
