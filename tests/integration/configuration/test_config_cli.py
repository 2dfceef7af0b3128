"""``portal-gateway config``: same validation and secret rules as the API (rules C2, C11)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.cli import main
from app.environment import get_settings
from tests.integration.configuration.conftest import SECRET_KEY, unique_secret
from tests.leakcheck import SecretLeakCheck


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, migrated_pg: str) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", migrated_pg)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _answers(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(replies)

    class Terminal:  # an operator at a terminal: secrets are prompted without echo
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("app.configuration.cli.getpass.getpass", fake_getpass)
    monkeypatch.setattr("sys.stdin", Terminal())
    return prompts


def test_set_and_show(
    cli_env: None, capsys: pytest.CaptureFixture[str], leak_check: SecretLeakCheck
) -> None:
    assert (
        main(
            [
                "config",
                "set",
                "--system",
                "test",
                "ticketUserNumber=042",
                "schedule.intervalMinutes=7",
                'personTypes=["MIETER"]',
            ]
        )
        == 0
    )
    leak_check.seen(capsys.readouterr().out)
    assert main(["config", "show", "--system", "test"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ticketUserNumber"] == "042"  # rule C11
    assert shown["schedule"]["intervalMinutes"] == 7
    assert shown["personTypes"] == ["MIETER"]


def test_invalid_value_is_refused_naming_the_field(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "set", "--system", "test", "ticketUserNumber=42"]) == 1
    assert "ticketUserNumber" in capsys.readouterr().err  # rule C11


def test_secret_is_prompted_twice_and_never_printed(
    cli_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    leak_check: SecretLeakCheck,
) -> None:
    # rule C2: entered twice, must match, never shown again
    secret = leak_check.use(unique_secret("cli-secret"))
    prompts = _answers(monkeypatch, secret, secret + "typo")
    assert main(["config", "set", "--system", "test", "--secret", "casaviSecret"]) == 1
    output = capsys.readouterr()
    leak_check.seen(output.out + output.err)
    assert "secrets.casaviSecret.confirmation" in output.err
    assert prompts == ["casaviSecret: ", "casaviSecret (again): "]

    _answers(monkeypatch, secret, secret)
    assert main(["config", "set", "--system", "test", "--secret", "casaviSecret"]) == 0
    output = capsys.readouterr()
    leak_check.seen(output.out + output.err)
    assert json.loads(output.out)["secrets"]["casaviSecret"]["isSet"] is True


def test_changes_from_the_cli_are_audited_with_the_os_user(
    cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    assert main(["config", "set", "--system", "production", "deleteAfterMoveOutDays=60"]) == 0
    capsys.readouterr()
    import asyncio

    from app.adapters.store.config_rows import ConfigRows
    from app.adapters.store.database import create_engine, create_session_factory
    from app.configuration.secrets import SecretBox

    async def entries() -> list[tuple[str, list[str]]]:
        engine = create_engine(get_settings().database_url)
        try:
            async with create_session_factory(engine)() as session:
                rows = await ConfigRows(session, SecretBox(None)).changes("production", 5)
                return [(row.actor, row.fields) for row in rows]
        finally:
            await engine.dispose()

    # rule C15: the deletion window is a setting; its change is audited
    assert asyncio.run(entries()) == [(f"cli:{getpass.getuser()}", ["deleteAfterMoveOutDays"])]
