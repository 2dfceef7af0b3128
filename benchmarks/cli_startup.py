"""How long the CLI takes to answer, beside ``python -c pass`` in the same run.

Each round runs, one after the other: ``python -c pass``, ``portal-gateway --help``,
``portal-gateway sync --help`` and ``portal-gateway apikey list`` (against a fresh,
migrated SQLite state with three keys). The JSON reports the median wall time and the median
CPU time (user + system of the child, less noisy on a shared machine) of each, and the load
average before and after. ``--compare-tree DIR`` also runs the same commands from another
checkout (``python -m app.cli`` in DIR, e.g. an export of main), interleaved in each round,
for a before/after in one run.

    python benchmarks/cli_startup.py [--rounds 7] [--compare-tree /tmp/main-export]
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


def _run(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=cwd)  # noqa: S603


def _timed(cmd: list[str], env: dict[str, str], cwd: str | None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _run(cmd, env, cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compare-tree", help="another checkout to run the same commands from")
    args = parser.parse_args()
    gateway = str(BIN / "portal-gateway")
    cli = ["--help"], ["sync", "--help"], ["apikey", "list"]
    commands: dict[str, tuple[list[str], str | None]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        **{f"portal-gateway {' '.join(c)}": ([gateway, *c], None) for c in cli},
    }
    if args.compare_tree:
        for c in cli:
            name = f"{args.compare_tree}: python -m app.cli {' '.join(c)}"
            commands[name] = ([sys.executable, "-m", "app.cli", *c], args.compare_tree)
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
            for name, (cmd, cwd) in commands.items():
                samples[name].append(_timed(cmd, env, cwd))
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
