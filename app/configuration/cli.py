"""``portal-gateway config show|set|new-key``: the configuration API for operators on a shell.

Same validation and secret rules as the API: secrets are prompted twice, never echoed, never
taken from the command line (it would land in the shell history and the process list).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from app.configuration.document import ConfigDocument
from app.configuration.secrets import SECRET_NAMES, SecretBox, new_key
from app.configuration.shape import type_at
from app.environment import Settings
from app.errors import InvalidInput


def add_parser(commands: Any) -> None:
    config = commands.add_parser("config", help="show or change a system's configuration")
    sub = config.add_subparsers(dest="config_command", required=True)
    show = sub.add_parser("show", help="print the configuration as JSON (never secrets)")
    show.add_argument("--system", required=True, choices=["production", "test"])
    change = sub.add_parser("set", help="change settings (merge) and/or secrets (prompted)")
    change.add_argument("--system", required=True, choices=["production", "test"])
    change.add_argument("--file", type=Path, help="a JSON merge patch to apply")
    change.add_argument(
        "assignments",
        nargs="*",
        metavar="PATH=VALUE",
        help="e.g. schedule.intervalMinutes=10 or personTypes='[\"MIETER\"]' (JSON or text)",
    )
    change.add_argument(
        "--secret",
        action="append",
        default=[],
        choices=sorted(SECRET_NAMES),
        help="prompt for this secret twice (repeatable); without a terminal, read it twice "
        "from standard input, one line each",
    )
    sub.add_parser("new-key", help="print a fresh GATEWAY_SECRET_KEY")


def build_patch(assignments: list[str], file: Path | None) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    if file is not None:
        loaded = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise InvalidInput(f"{file} must hold a JSON object")
        patch = loaded
    for assignment in assignments:
        path, sep, raw = assignment.partition("=")
        if not sep or not path:
            raise InvalidInput(f"{assignment!r} is not PATH=VALUE")
        value = _value_for(path, raw)
        node = patch
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return patch


def _value_for(path: str, raw: str) -> Any:
    """JSON where the setting takes JSON; the text itself where the setting is text (so
    ``ticketUserNumber=900`` stays the string "900" and ``intervalMinutes=10`` the number)."""
    if _takes_text(path):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _takes_text(path: str) -> bool:
    try:
        return isinstance(type_at(ConfigDocument, path), msgspec.inspect.StrType)
    except KeyError:  # no such setting: the configuration says so
        return False


def prompt_secrets(names: list[str]) -> dict[str, Any]:
    """Each secret twice: prompted without echo on a terminal, else two lines on stdin."""
    interactive = sys.stdin.isatty()
    secrets = {}
    for name in names:
        if interactive:
            value = getpass.getpass(f"{name}: ")
            confirmation = getpass.getpass(f"{name} (again): ")
        else:
            value, confirmation = _stdin_line(name), _stdin_line(name)
        secrets[name] = {"value": value, "confirmation": confirmation}
    return secrets


def _stdin_line(name: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise InvalidInput(
            f"no terminal to ask for {name}: give each secret twice on standard input, "
            'one line each (e.g. printf \'%s\\n%s\\n\' "$S" "$S" | portal-gateway config set '
            f"--system test --secret {name})"
        )
    return line.rstrip("\r\n")


async def run_config_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.config_command == "new-key":
        print(new_key())
        return 0
    # Imported here, not above: ``portal-gateway --help`` builds this module's parser.
    from app.adapters.store.configs import SqlConfigs
    from app.adapters.store.database import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        configs = SqlConfigs(create_session_factory(engine), SecretBox(settings.secret_key))
        if args.config_command == "show":
            view = await configs.view(args.system)
        else:
            patch = build_patch(args.assignments, args.file)
            if args.secret:
                patch.setdefault("secrets", {}).update(prompt_secrets(args.secret))
            if not patch:
                raise InvalidInput("nothing to change: give PATH=VALUE, --file or --secret")
            view = await configs.patch(args.system, patch, f"cli:{getpass.getuser()}")
    finally:
        await engine.dispose()
    sys.stdout.write(json.dumps(msgspec.to_builtins(view), indent=2, ensure_ascii=False) + "\n")
    return 0
