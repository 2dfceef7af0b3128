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

from app.adapters.store.database import create_engine, create_session_factory
from app.config import Settings
from app.configuration.secrets import SECRET_NAMES, SecretBox, new_key
from app.configuration.service import ConfigService
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
        help="prompt for this secret twice (repeatable)",
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
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = patch
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return patch


def prompt_secrets(names: list[str]) -> dict[str, Any]:
    secrets = {}
    for name in names:
        value = getpass.getpass(f"{name}: ")
        confirmation = getpass.getpass(f"{name} (again): ")
        secrets[name] = {"value": value, "confirmation": confirmation}
    return secrets


async def run_config_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.config_command == "new-key":
        print(new_key())
        return 0
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            service = ConfigService(session, SecretBox(settings.secret_key))
            if args.config_command == "show":
                view = await service.view(args.system)
            else:
                patch = build_patch(args.assignments, args.file)
                if args.secret:
                    patch.setdefault("secrets", {}).update(prompt_secrets(args.secret))
                if not patch:
                    raise InvalidInput("nothing to change: give PATH=VALUE, --file or --secret")
                view = await service.patch(args.system, patch, f"cli:{getpass.getuser()}")
    finally:
        await engine.dispose()
    sys.stdout.write(json.dumps(msgspec.to_builtins(view), indent=2, ensure_ascii=False) + "\n")
    return 0
