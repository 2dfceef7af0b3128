"""The newcomer path (issue 13 item 8): what a first-time operator runs into on a shell."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.configuration.secrets import new_key
from app.environment import get_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", new_key())
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "argv",
    [["apikey", "list"], ["config", "show", "--system", "test"]],
)
def test_an_unmigrated_database_says_what_to_run(
    env: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "portal-gateway migrate" in err
    assert "Traceback" not in err


def test_text_settings_take_digits_as_text_and_numbers_stay_numbers(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # rule C11: the ticket user is a three-digit text, "900" - not the number 900
    assert main(["migrate"]) == 0
    capsys.readouterr()
    args = ["config", "set", "--system", "test", "ticketUserNumber=900"]
    assert main([*args, "schedule.intervalMinutes=10"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ticketUserNumber"] == "900"
    assert shown["schedule"]["intervalMinutes"] == 10


def test_secrets_without_a_terminal_are_read_twice_from_stdin(
    env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # rule C2: entered twice, both must match - also when piped
    assert main(["migrate"]) == 0
    capsys.readouterr()
    base = ["config", "set", "--system", "test", "--secret", "casaviSecret"]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(base) == 1
    err = capsys.readouterr().err
    assert "standard input" in err
    assert "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-value\ns3cret-value\n"))
    assert main(base) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["secrets"]["casaviSecret"]["isSet"] is True
    assert "s3cret-value" not in out


def test_commands_do_not_open_with_alembic_chatter(
    env: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert main(["migrate"]) == 0
        assert main(["apikey", "list"]) == 0
    assert not [r for r in caplog.records if r.name.startswith("alembic.runtime")]
    assert "is at revision" in capsys.readouterr().out
