"""The fast inner loop named in README.md: present, and it runs a real share of the suite
(and none of the server folders)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- fast-test-command -->"


def fast_command() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert MARKER in lines, "README.md has no fast-test-command marker"
    line = lines[lines.index(MARKER) + 1]
    assert line[0] == line[-1] == "`", line
    return shlex.split(line.strip("`"))


def test_the_fast_command_is_pytest_without_the_server_tests() -> None:
    command = fast_command()
    assert command[:3] == [".venv/bin/python", "-m", "pytest"]
    assert command[command.index("-m", 3) + 1] == "not server"


@pytest.mark.server  # a subprocess
def test_the_fast_command_collects_most_tests_and_no_server_folder() -> None:
    out = subprocess.run(
        [*fast_command(), "--collect-only", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    ids = [line for line in out.splitlines() if "::" in line]
    assert len(ids) > 400, out[-2000:]
    for folder in ("integration", "e2e", "faults"):
        assert not [i for i in ids if i.startswith(f"tests/{folder}/")], folder
    # The explicitly marked ones are left out too.
    assert not [i for i in ids if "test_building_the_parser_imports_no_heavy_stack" in i]
