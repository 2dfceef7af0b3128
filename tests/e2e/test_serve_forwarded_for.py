"""Issue 23 item 2: ``portal-gateway serve`` believes ``X-Forwarded-For`` only from the
proxies in ``TRUSTED_PROXIES`` (uvicorn on its own trusts 127.0.0.1, so any local client
could pose as ever new addresses and never use up its failure budget)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


def _serve(tmp_path: Path, **extra_env: str) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTHONPATH=str(ROOT), AUTH_FAILURES_PER_MINUTE="3", **extra_env)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-access-log"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health/live", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log_path.read_text()
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def untrusting(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path)


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, TRUSTED_PROXIES="127.0.0.1")


def _statuses(base: str) -> list[int]:
    return [
        httpx.get(
            f"{base}/api/v1/sync-runs",
            headers={"X-API-Key": f"pgw_{n:08x}_nope", "X-Forwarded-For": f"203.0.113.{n}"},
            timeout=10,
        ).status_code
        for n in range(5)
    ]


def test_forwarded_for_from_a_local_client_is_ignored_by_default(untrusting: str) -> None:
    assert _statuses(untrusting) == [401, 401, 401, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(behind_proxy: str) -> None:
    assert _statuses(behind_proxy) == [401] * 5
