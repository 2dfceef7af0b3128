"""How long the CLI takes to answer, beside ``python -c pass`` in the same run.

Each round runs, one after the other: ``python -c pass``, ``portal-gateway --help``,
``portal-gateway sync --help`` and ``portal-gateway apikey list`` (against a fresh,
migrated SQLite state with three keys). The JSON reports the median wall time and the median
CPU time (user + system of the child, less noisy on a shared machine) of each, and the load
average before and after.

    python benchmarks/cli_startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _run(cmd, env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    gateway = str(BIN / "portal-gateway")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "portal-gateway --help": [gateway, "--help"],
        "portal-gateway sync --help": [gateway, "sync", "--help"],
        "portal-gateway apikey list": [gateway, "apikey", "list"],
    }
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp}/gateway.db")
        env.pop("REDIS_URL", None)
        _run([gateway, "migrate"], env)
        for name in ("a", "b", "c"):
            cmd = [gateway, "apikey", "create", "--name", name, "--scope", "admin"]
            _run(cmd, env)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, cmd in commands.items():
                samples[name].append(_timed(cmd, env))
    report = {
        "rounds": args.rounds,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "commands": {
            name: {
                "wall_s_median": round(statistics.median(w for w, _ in runs), 3),
                "wall_s_min": round(min(w for w, _ in runs), 3),
                "cpu_s_median": round(statistics.median(c for _, c in runs), 3),
            }
            for name, runs in samples.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
