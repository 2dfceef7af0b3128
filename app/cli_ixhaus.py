"""``portal-gateway ixhaus ddl|check``: the iX-Haus interface as DDL, and its live check.

``ddl`` prints what the gateway reads and writes in iX-Haus, from the one definition
(``app/adapters/ixhaus/schema.py``): tables (or view templates) with a comment naming the
rule each column serves, and the grants the gateway's database user needs. ``check``
compares the live interface of a configured system with that definition (missing tables
or views, columns, wrong types, missing grants) and names the features each problem stops.
Exit status of ``check``: 0 complete, 1 problems found (or iX-Haus unreachable).

Only the parser lives at import time; the work is imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from app.environment import Settings

CHECK_TIMEOUT_SECONDS = 30.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ixhaus = commands.add_parser(
        "ixhaus",
        help="the iX-Haus interface: its DDL, and a check of the live one",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    sub = ixhaus.add_subparsers(dest="ixhaus_command", required=True)
    ddl = sub.add_parser("ddl", help="print the interface's DDL and grants")
    ddl.add_argument("--dialect", required=True, choices=["oracle", "postgresql"])
    ddl.add_argument("--owner", required=True, help="schema (Oracle: user) that owns it")
    ddl.add_argument(
        "--grantee",
        default="portal_gateway",
        help="the database user the gateway connects as (default: portal_gateway)",
    )
    ddl.add_argument("--prefix", default="ixp_", help="table name prefix (default: ixp_)")
    ddl.add_argument(
        "--shape",
        choices=["tables", "views"],
        default="tables",
        help="tables (a complete interface) or view templates to map onto iX-Haus's tables",
    )
    check = sub.add_parser("check", help="compare a system's live interface with the definition")
    check.add_argument("--system", required=True, choices=["production", "test"])
    check.add_argument("--json", action="store_true", help="print the report as JSON")


def run_ixhaus_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.ixhaus_command == "ddl":
        from app.adapters.ixhaus.ddl import interface_ddl

        sys.stdout.write(
            interface_ddl(
                args.dialect, args.owner, args.grantee, prefix=args.prefix, shape=args.shape
            )
        )
        return 0
    import asyncio

    return asyncio.run(_check(args, settings))


async def _check(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from app.adapters.store.configs import SqlConfigs
    from app.adapters.store.database import create_engine, create_session_factory
    from app.configuration.interface import interface_report
    from app.configuration.secrets import SecretBox

    engine = create_engine(settings.database_url)
    try:
        configs = SqlConfigs(create_session_factory(engine), SecretBox(settings.secret_key))
        result = await interface_report(configs, args.system, CHECK_TIMEOUT_SECONDS)
    finally:
        await engine.dispose()
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(result)).decode() + "\n")
    else:
        print_report(result, sys.stdout)
    return 0 if result.report is not None and result.report.ok else 1


def print_report(result: object, out: TextIO) -> None:
    from app.configuration.interface import InterfaceCheck

    assert isinstance(result, InterfaceCheck)
    if result.report is None:
        out.write(f"{result.system}: {result.reason}\n")
        return
    report = result.report
    if report.ok:
        out.write(f"{result.system}: the iX-Haus interface is complete ({report.tables} tables)\n")
        return
    out.write(f"{result.system}: {len(report.problems)} problem(s) in the iX-Haus interface\n")
    for problem in report.problems:
        where = problem.table + (f".{problem.column}" if problem.column else "")
        out.write(f"  {problem.kind:15} {where}: {problem.detail}\n")
        out.write(f"  {'':15} affects: {', '.join(problem.features)}\n")
    out.write("Features affected:\n")
    for feature, text in report.affected.items():
        out.write(f"  {feature}: {text}\n")
