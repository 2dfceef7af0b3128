"""The README's run command: ``portal-gateway serve`` with no database or Redis server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_serve_on_the_embedded_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        # One client for all requests (httpx.get makes a client each time: 25 ms of CPU).
        with httpx.Client(timeout=10) as client:
            deadline = time.monotonic() + 120
            ready = None
            while time.monotonic() < deadline:
                try:
                    ready = client.get(f"http://127.0.0.1:{port}/health/ready")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert ready is not None, (tmp_path / "serve.log").read_text()
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": "ok", "redis": "not_configured"}
            # The embedded state is a SQLite file in the working directory, migrated on start.
            assert (tmp_path / "portal-gateway.db").exists()
            unauthenticated = client.get(f"http://127.0.0.1:{port}/api/v1/sync-runs")
            assert unauthenticated.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def test_serve_with_several_worker_processes(tmp_path: Path, redis_url: str) -> None:
    # issue 13 item 10: `serve --workers N` shares one port between N processes (with Redis)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
        REDIS_URL=redis_url,
    )
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    # A connection of its own per request (as separate clients), on one client: httpx.get
    # makes a client each time (25 ms of CPU).
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    try:
        with httpx.Client(timeout=10, limits=no_reuse) as client:
            deadline = time.monotonic() + 120
            answered = 0
            while time.monotonic() < deadline and answered < 20:
                try:
                    answered += client.get(f"http://127.0.0.1:{port}/health/live").is_success
                except httpx.TransportError:
                    time.sleep(0.2)
        assert answered == 20, (tmp_path / "serve.log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
    assert "Started parent process" in (tmp_path / "serve.log").read_text()


def test_several_workers_need_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr
    # Refused before anything was made: no embedded database was created or migrated.
    assert list(tmp_path.iterdir()) == []
