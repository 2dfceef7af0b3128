"""How long the CLI takes to answer, beside ``python -c pass`` in the same run.

Each round runs, one after the other: ``python -c pass``, then the commands an operator runs
most (docs/operations.md): ``--help``, ``sync --help``, ``config new-key``, ``migrate`` on a
database at the head, ``apikey list`` and ``apikey create``, ``config set`` with a file and a
secret (its catalogue check reads the iX-Haus sandbox) and ``ixhaus check``, against a fresh,
migrated SQLite state. The JSON reports the median wall time and the median CPU time (user +
system of the child, less noisy on a shared machine) of each, and the load average before and
after. ``--compare-tree DIR`` also runs the same commands from another checkout (``python -m
app.cli`` in DIR, e.g. an export of main), interleaved in each round, for a before/after in
one run.

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
SYSTEM = {
    "objects": {"range": [{"from": "1001", "to": "1003"}]},
    "personTypes": ["MIETER", "EIGENTUEMER"],
    "userTeams": ["T1"],
    "licences": {"komfortpaket": True, "owners": True, "caretakers": True},
    "ticketUserNumber": "900",
}


def _run(cmd: list[str], env: dict[str, str], cwd: str | None = None, stdin: str = "") -> None:
    subprocess.run(  # noqa: S603
        cmd, env=env, check=True, stdout=subprocess.DEVNULL, cwd=cwd, input=stdin, text=True
    )


def _timed(cmd: list[str], env: dict[str, str], cwd: str | None, stdin: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _run(cmd, env, cwd, stdin)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _commands(tmp: str) -> dict[str, tuple[list[str], str]]:
    """The CLI commands (arguments, standard input); ``{n}`` is the round's key name."""
    ixhaus = f"sqlite+aiosqlite:///{tmp}/ixhaus.db"
    system = ["--system", "test", "--file", f"{tmp}/test.json", "--secret", "ixhausDatabaseUrl"]
    return {
        "--help": (["--help"], ""),
        "sync --help": (["sync", "--help"], ""),
        "config new-key": (["config", "new-key"], ""),
        "migrate (at the head)": (["migrate"], ""),
        "apikey list": (["apikey", "list"], ""),
        "apikey create": (["apikey", "create", "--name", "{n}", "--scope", "admin"], ""),
        "config set (file, secret)": (["config", "set", *system], f"{ixhaus}\n{ixhaus}\n"),
        "ixhaus check": (["ixhaus", "check", "--system", "test"], ""),
    }


def _prepare(gateway: str, tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "GATEWAY_SECRET_KEY")}
    key = subprocess.run(  # noqa: S603
        [gateway, "config", "new-key"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/gateway.db", GATEWAY_SECRET_KEY=key)
    _run([gateway, "migrate"], env)
    _run([gateway, "sandbox", "seed", "--db", f"sqlite:///{tmp}/ixhaus.db"], env)
    Path(tmp, "test.json").write_text(json.dumps(SYSTEM), encoding="utf-8")
    args, stdin = _commands(tmp)["config set (file, secret)"]
    _run([gateway, *args], env, stdin=stdin)
    for name in ("a", "b", "c"):
        _run([gateway, "apikey", "create", "--name", name, "--scope", "admin"], env)
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compare-tree", help="another checkout to run the same commands from")
    args = parser.parse_args()
    gateway = str(BIN / "portal-gateway")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        env = _prepare(gateway, tmp)
        runs: dict[str, tuple[list[str], str | None, str]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], None, "")
        }
        for name, (cli, stdin) in _commands(tmp).items():
            runs[f"portal-gateway {name}"] = ([gateway, *cli], None, stdin)
            if args.compare_tree:
                cmd = [sys.executable, "-m", "app.cli", *cli]
                runs[f"{args.compare_tree}: {name}"] = (cmd, args.compare_tree, stdin)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for round_ in range(args.rounds):
            for index, (name, (cmd, cwd, stdin)) in enumerate(runs.items()):
                named = [part.replace("{n}", f"k{round_}-{index}") for part in cmd]
                samples[name].append(_timed(named, env, cwd, stdin))
    report = {
        "rounds": args.rounds,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "commands": {
            name: {
                "wall_s_median": round(statistics.median(w for w, _ in measured), 3),
                "wall_s_min": round(min(w for w, _ in measured), 3),
                "cpu_s_median": round(statistics.median(c for _, c in measured), 3),
            }
            for name, measured in samples.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
