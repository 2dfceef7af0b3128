"""``portal-gateway sandbox docuware --port N`` serves the DocuWare simulator standalone,
and the real client logs on and searches it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.adapters.docuware import DocuwareClientConfig, docuware_client
from app.sandbox.docuware import SANDBOX_PASSWORD, SANDBOX_USER
from app.sandbox.docuware.catalogue import MAIN_CABINET
from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


async def _search(base_url: str) -> int:
    config = DocuwareClientConfig(
        base_url=base_url, username=SANDBOX_USER, password=SANDBOX_PASSWORD
    )
    async with docuware_client(config) as client:
        return len([d async for d in client.search(MAIN_CABINET)])


def test_simulator_command_serves_the_sample(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "sim.log").open("wb")
    command = [sys.executable, "-m", "app.cli", "sandbox", "docuware", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{base_url}/DocuWare/Platform/Home/IdentityServiceInfo")
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, (tmp_path / "sim.log").read_text()
        assert response.status_code == 200
        assert asyncio.run(_search(base_url)) > 0
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
