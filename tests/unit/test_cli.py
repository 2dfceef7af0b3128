"""The ``portal-gateway`` command: settings errors, API keys, migrations and the spec."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.environment import get_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_invalid_setting_exits_2_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nope/db")
    get_settings.cache_clear()
    try:
        assert main(["migrate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "configuration error" in err
    assert "DATABASE_URL" in err


def test_worker_needs_redis(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker"]) == 2
    assert "REDIS_URL" in capsys.readouterr().err


def test_sync_refuses_entity_without_dry_run_before_the_database(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A wrong combination of arguments is refused before the database is checked (here it
    # does not exist) and before the sync's modules are imported.
    assert main(["sync", "--system", "test", "--entity", "object"]) == 2
    assert "--entity applies to --dry-run only" in capsys.readouterr().err
    assert not (tmp_path / "state.db").exists()


def test_apikey_create_list_revoke(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert main(["apikey", "create", "--name", "ixhaus-plus", "--scope", "ixhaus"]) == 0
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    assert key.startswith("pgw_")
    assert len(key) > 40

    assert main(["apikey", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ixhaus-plus\tixhaus" in listing
    assert "active" in listing
    assert key not in listing

    assert main(["apikey", "create", "--name", "ixhaus-plus", "--scope", "admin"]) == 1
    assert "exists already" in capsys.readouterr().err

    assert main(["apikey", "revoke", "--name", "ixhaus-plus"]) == 0
    assert main(["apikey", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["apikey", "revoke", "--name", "nobody"]) == 1


def test_migrate_renders_oracle_sql(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--sql", "--url", "oracle+oracledb://u:p@127.0.0.1/x"]) == 0
    assert "CREATE TABLE sync_runs" in capsys.readouterr().out


def test_openapi_writes_the_spec(env: str, tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    assert main(["openapi", "--out", str(out)]) == 0
    committed = Path(__file__).resolve().parents[2] / "openapi" / "gateway.json"
    assert out.read_text() == committed.read_text()


def test_sandbox_seed_small(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    db = tmp_path / "ixhaus.db"
    assert (
        main(["sandbox", "seed", "--profile", "small", "--db", f"sqlite:///{db}", "--seed", "7"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "small"
    assert report["counts"]["objects"] > 0
    assert db.exists()


def test_worker_runs_the_schedule_every_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.environment import load_settings
    from app.sync.scheduler import schedule_tick
    from app.worker import worker_settings

    settings = worker_settings(load_settings({"REDIS_URL": "redis://127.0.0.1:6379/0"}))
    job, poll, sweep = settings["cron_jobs"]
    # Inbound: the poll checks every 5 s which systems are due; the sweeper runs each minute.
    # Like the schedule, both carry the queue name (installations sharing a Redis).
    assert (poll.name, poll.second) == ("portal-gateway:queue:inbound-poll", set(range(0, 60, 5)))
    assert (sweep.name, sweep.second) == ("portal-gateway:queue:inbound-sweep", {0})
    # rule C14: the tick runs at second 0 of every minute; it decides per system what is due
    assert job.coroutine.__wrapped__ is schedule_tick  # the table names the flow itself
    assert job.second == {0}
    assert job.minute is None


def test_serve_can_leave_out_the_access_log(
    env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    assert main(["serve", "--no-access-log"]) == 0
    assert main(["serve"]) == 0
    assert [call["access_log"] for call in calls] == [False, True]
