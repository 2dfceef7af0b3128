"""``portal-gateway sandbox casavi``: the page size is settable and the help shows the
simulator's sandbox credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.environment import get_settings
from app.sandbox import casavi as sandbox_casavi
from app.sandbox.casavi import server
from app.sandbox.credentials import SANDBOX_KEY, SANDBOX_SECRET


def test_help_shows_the_sandbox_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["sandbox", "casavi", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert SANDBOX_KEY in text
    assert SANDBOX_SECRET in text
    assert "--page-size" in text
    assert (sandbox_casavi.SANDBOX_KEY, sandbox_casavi.SANDBOX_SECRET) == (
        SANDBOX_KEY,
        SANDBOX_SECRET,
    )


def test_page_size_reaches_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[str, int, Path, dict[str, Any]]] = []

    def fake_run(host: str, port: int, state: Path, **options: Any) -> None:
        started.append((host, port, state, options))

    monkeypatch.setattr(server, "run_simulator", fake_run)
    args = cli.build_parser().parse_args(["sandbox", "casavi", "--port", "0", "--page-size", "7"])
    assert args.handler(args, get_settings()) == 0
    [(host, port, _, options)] = started
    assert (host, port, options["default_page_size"]) == ("127.0.0.1", 0, 7)


@pytest.mark.parametrize("size", ["0", "501", "many"])
def test_page_size_out_of_the_contracts_range_is_refused(
    size: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["sandbox", "casavi", "--page-size", size])
    assert exited.value.code == 2
    assert "--page-size" in capsys.readouterr().err


async def test_the_simulator_pages_by_the_configured_size(tmp_path: Path) -> None:
    import httpx

    app = sandbox_casavi.create_casavi_simulator(tmp_path / "s.db", default_page_size=2)
    thread = sandbox_casavi.ServerThread(app).start()
    try:
        async with httpx.AsyncClient(base_url=thread.base_url) as http:
            auth = {"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
            token = (await http.post("/v2/authenticate", json=auth)).json()["token"]
            for n in range(3):
                body = {"id": f"R-{n}", "name": f"Rolle {n}"}
                await http.post("/v2/staff-roles", json=body, headers={"token": token})
            page = (await http.get("/v2/staff-roles", headers={"token": token})).json()
        assert [r["id"] for r in page["list"]] == ["R-0", "R-1"]
        assert "page=2" in page["_links"]["next"]
    finally:
        thread.stop()
        app.simulator.store.close()
