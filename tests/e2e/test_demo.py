"""The README's first command: ``portal-gateway demo`` syncs for real, then serves the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.parallel import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_demo_syncs_the_sandbox_and_serves_the_result(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    port, casavi_port, docuware_port = free_port(), free_port(), free_port()
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "gateway.db").write_bytes(b"left from an earlier demo")  # --reset
    log_path = tmp_path / "demo.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--port",
            str(port),
            "--casavi-port",
            str(casavi_port),
            "--docuware-port",
            str(docuware_port),
            "--reset",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )
    # One client for the polls (httpx.get makes a client each time: 25 ms of CPU).
    client = httpx.Client(timeout=5)
    try:
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = client.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        output = log_path.read_text()
        assert ready is not None, output
        assert ready.status_code == 200
        lines = output.splitlines()
        assert f"casavi simulator: http://127.0.0.1:{casavi_port} " in output  # fixed ports
        assert f"DocuWare simulator: http://127.0.0.1:{docuware_port}" in output
        assert any(line.startswith("reset: ") for line in lines)
        first = next(line for line in lines if line.startswith("first sync:"))
        # A healthy installation's runs succeed: the sandbox's document over the size limit
        # is excluded with its reason (rule D5: a warning), not an error.
        assert " succeeded " in first, first
        assert "errors 0 " in first
        assert re.search(r"documents over the size limit: [1-9]", first), first
        runs = [line for line in lines if re.match(r"^[a-z ,]+: run \d+ ", line)]
        assert len(runs) == 4, output
        assert all(" succeeded " in line for line in runs), runs
        assert any(line.startswith("nothing changed:") and "sent 0," in line for line in lines)
        assert any(line.startswith("one ticket changed:") and "sent 1," in line for line in lines)
        # The conversation on one ticket, the one the tenant opened (rules T10, N1, T8, S1):
        # it reaches iX-Haus; the staff answer, the commissioning note, the status and the
        # close reach the tenant; the tenant's reply arrives naming its author.
        arrived = next(line for line in lines if line.startswith("  -> iX-Haus ticket "))
        casavi_id = re.search(r"casavi keeps it as (\S+) ", arrived)
        assert casavi_id, arrived
        answer = next(line for line in lines if line.startswith("staff answer on ticket"))
        assert "(note trigger): sent" in answer
        assert "Der Techniker kommt morgen" in answer
        seen = next(line for line in lines if line.strip().startswith("the tenant sees status"))
        assert "Auftrag an Sanitär Schmidt erteilt." in seen
        reply = next(line for line in lines if line.startswith("  -> iX-Haus note "))
        assert ", written by " in reply
        closed = next(line for line in lines if line.startswith("staff close ticket"))
        assert closed.endswith("the tenant sees it closed: True")
        assert f"messages on one ticket ({casavi_id.group(1)})" in output
        # Issue 18: the tenant's side arrived by the poll (casavi offers no native
        # callbacks); one more message took the optional fast path.
        assert "the gateway polls casavi every 1 s" in output
        assert any(
            line.startswith("  -> iX-Haus note ") and line.endswith("via the callback")
            for line in lines
        ), output
        key = next(line for line in lines if line.startswith("admin API key")).split(": ", 1)[1]
        _signs_in_with_the_printed_link(lines, port, key)
        # rule C14: while it serves, the embedded scheduler runs the sync on its own.
        until = time.monotonic() + 120
        while True:
            runs = client.get(
                f"http://127.0.0.1:{port}/api/v1/sync-runs", headers={"X-API-Key": key}
            ).json()["items"]
            if any(run["trigger"] == "schedule" for run in runs) or time.monotonic() > until:
                break
            time.sleep(0.2)
        demo_runs = [run["status"] for run in runs if run["trigger"] == "demo"]
        assert demo_runs == ["succeeded"] * 4
        scheduled = [run for run in runs if run["trigger"] == "schedule"]
        assert len(scheduled) == 1
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=60)
        log.close()


def _signs_in_with_the_printed_link(lines: list[str], port: int, key: str) -> None:
    """The console line is a one-time sign-in link; the key itself is never in a URL."""
    line = next(line for line in lines if line.startswith("admin console:"))
    link = line.split(": ", 1)[1].split(" ", 1)[0]
    assert link.startswith(f"http://127.0.0.1:{port}/console/signin?token=")
    assert key not in link
    with httpx.Client(timeout=5) as browser:
        signed_in = browser.get(link)
        assert signed_in.status_code == 303
        overview = browser.get(f"http://127.0.0.1:{port}/console")
        assert overview.status_code == 200
        assert "Angemeldet mit Schlüssel demo" in overview.text
    assert httpx.get(link, timeout=5).status_code == 400  # used once already
