"""``portal-gateway sandbox casavi --port N`` serves the simulator standalone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_simulator_command_authenticates(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "sim.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "sandbox",
            "casavi",
            "--port",
            str(port),
            "--state",
            str(tmp_path / "casavi.db"),
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        body = {"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
        deadline = time.monotonic() + 120
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/v2/authenticate", json=body)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, (tmp_path / "sim.log").read_text()
        assert response.status_code == 200
        assert set(response.json()) == {"token", "expiresAt"}
        assert (tmp_path / "casavi.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
