"""The sandbox from the command line (issue 18, item 7): ``sandbox seed --documents DIR``
writes the documents' files, ``sandbox casavi --fill-from DB`` starts the simulator filled
from that portfolio (documents included) without a sync of one's own, with contacts that
are invited but not registered."""

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


def _cli(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], env=env, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_seed_with_documents_then_a_filled_simulator(tmp_path: Path) -> None:
    db, documents = tmp_path / "ixhaus.db", tmp_path / "documents"
    seed = _cli(
        "sandbox", "seed", "--db", f"sqlite:///{db}", "--documents", str(documents),
        stdout=subprocess.PIPE,
    )  # fmt: skip
    out, _ = seed.communicate(timeout=300)
    assert seed.returncode == 0
    assert b'"documentFiles"' in out
    files = [p for p in documents.rglob("*") if p.is_file()]
    assert len(files) > 10

    port = free_port()
    log_path = tmp_path / "sim.log"
    with log_path.open("wb") as log:
        process = _cli(
            "sandbox", "casavi", "--port", str(port), "--state", str(tmp_path / "casavi.db"),
            "--fill-from", f"sqlite:///{db}", "--documents", str(documents),
            stdout=log, stderr=log,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while b"filled from" not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/v2/authenticate", json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
        ).json()["token"]
        headers = {"token": token}
        assert httpx.get(f"{base}/v2/properties", headers=headers).json()["list"]
        tickets = httpx.get(f"{base}/v2/tickets", headers=headers).json()["list"]
        assert any(t["origin"] == "manager" for t in tickets)
        invited = httpx.get(
            f"{base}/v2/contacts",
            params={"isInvited": "true", "isRegistered": "false"},
            headers=headers,
        ).json()["list"]
        assert invited  # the sandbox's casavi invited them; nobody registered yet
        stats = httpx.get(f"{base}/_sandbox/stats").json()["byRoute"]
        assert stats.get("POST /v2/documents", 0) > 0  # the documents went in too
        assert "filled from" in log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)
