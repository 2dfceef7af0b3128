"""Every test has an upper bound (pytest-timeout, ``timeout`` in pyproject.toml): a test that
waits on an event nothing sets fails with the stacks of every thread instead of holding CI
until its 90 minutes run out (issue 20: a wait without a deadline hung a loaded run once)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_options() -> dict[str, object]:
    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options: dict[str, object] = document["tool"]["pytest"]["ini_options"]
    return options


def test_the_suite_bounds_every_test(pytestconfig: pytest.Config) -> None:
    configured = pytest_options()["timeout"]
    assert isinstance(configured, int)
    assert 0 < configured <= 900
    # The plugin is installed with the suite and reads the setting.
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) == configured


@pytest.mark.server  # a subprocess
def test_an_async_test_waiting_for_ever_fails_instead_of_hanging(tmp_path: Path) -> None:
    options = pytest_options()
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\n"
        f"asyncio_mode = {options['asyncio_mode']}\n"
        f"asyncio_default_fixture_loop_scope = {options['asyncio_default_fixture_loop_scope']}\n"
        # The suite's mechanism with a bound a test can wait for.
        "timeout = 2\n",
        encoding="utf-8",
    )
    (tmp_path / "test_hang.py").write_text(
        "import asyncio\n\n"
        "async def test_waits_for_an_event_nothing_sets():\n"
        "    await asyncio.Event().wait()\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_hang.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # far past the bound: the run ends by the plugin, not by this
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout (>2.0s)" in done.stdout + done.stderr
    assert "1 failed" in done.stdout
