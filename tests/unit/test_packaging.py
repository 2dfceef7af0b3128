"""The Docker image and the packaging stay what README.md promises (no engine runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.adapters.store.migrate import migrations_dir

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_is_multi_stage_non_root_and_runs_any_process() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "\nUSER gateway" in text
    assert 'ENTRYPOINT ["portal-gateway"]' in text
    assert "GATEWAY_MIGRATIONS_DIR=/srv/migrations" in text


def test_migrations_dir_can_be_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert migrations_dir() == ROOT / "migrations"
    monkeypatch.setenv("GATEWAY_MIGRATIONS_DIR", str(tmp_path))
    assert migrations_dir() == tmp_path


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    marker = readme.index("<!-- test-command -->")
    command = readme[marker + 1]
    assert command.startswith("`")
    assert "pytest" in command
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text()
