"""``portal-gateway casavi check`` from the command line, on the embedded default (SQLite):
the system's stored settings, the JSON report, the exit status, the write-test setting."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.cli import main
from app.configuration.secrets import SecretBox
from app.environment import get_settings
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, ServerThread, create_casavi_simulator

SECRET_KEY = base64.urlsafe_b64encode(b"casavi-check-cli-key-0123456789a").decode()


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
def casavi(tmp_path: Path) -> Iterator[ServerThread]:
    app = create_casavi_simulator(tmp_path / "casavi.db")
    thread = ServerThread(app).start()
    yield thread
    thread.stop()
    app.simulator.store.close()


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", SECRET_KEY)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    assert main(["migrate"]) == 0
    yield url
    get_settings.cache_clear()


def _configure(url: str, patch: dict[str, Any]) -> None:
    async def apply() -> None:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                await ConfigRows(session, SecretBox(SECRET_KEY)).patch("test", patch, "test")
        finally:
            await engine.dispose()

    asyncio.run(apply())


def test_the_check_reads_the_systems_settings_and_says_what_works(
    state: str, casavi: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["casavi", "check", "--system", "test"]) == 2  # casavi not configured
    assert "casavi is not configured" in capsys.readouterr().err
    _configure(
        state,
        {
            "casavi": {"baseUrl": casavi.base_url},
            "secrets": {
                "casaviApiKey": _twice(SANDBOX_KEY),
                "casaviSecret": _twice(SANDBOX_SECRET),
            },
        },
    )
    assert main(["casavi", "check", "--system", "test", "--write-test"]) == 2
    assert "casavi.allowWriteTest is off" in capsys.readouterr().err
    _configure(state, {"casavi": {"allowWriteTest": True}})
    assert main(["casavi", "check", "--system", "test", "--write-test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["writeTest"], report["blocked"]) == (True, True, [])
    rows = {row["operation"]: row for row in report["rows"]}
    assert rows["createTicket"]["verdict"] == "works"
    assert rows["createTicket"]["evidenceAgainst"].startswith("U1")
    assert rows["updateTicketMessage"]["source"] == "https://docs.unified.to/integrations/casavi"
    assert SANDBOX_SECRET not in json.dumps(report)
    assert main(["casavi", "check", "--system", "test"]) == 0
    table = capsys.readouterr().out
    assert "nothing the settings need is blocked" in table
