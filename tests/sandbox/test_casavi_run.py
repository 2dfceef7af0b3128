"""``run_simulator`` (what ``portal-gateway sandbox casavi --port N`` runs) in its own process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.server  # a subprocess
def test_run_simulator_serves_the_contract(tmp_path: Path) -> None:
    port = free_port()
    code = (
        "from pathlib import Path; from app.sandbox.casavi import run_simulator; "
        f"run_simulator('127.0.0.1', {port}, Path({str(tmp_path / 'cli.db')!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            while True:
                try:
                    response = http.post(
                        "/v2/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
                    )
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, "simulator did not come up"
                    time.sleep(0.05)
            assert response.status_code == 200
            assert "token" in response.json()
        assert (tmp_path / "cli.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=60)
