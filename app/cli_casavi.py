"""``portal-gateway casavi check --system S [--write-test] [--json]``: the live contract check.

Probes every casavi operation the gateway uses - reads with the smallest page; with
``--write-test`` (only where the system's ``casavi.allowWriteTest`` is on) one marked record
per writable kind is created and removed again - and compares each answer with
openapi/casavi.yaml. One row per operation: provenance, live status, deviations, and what the
gateway will do (works / degraded: feature / blocked: feature). Exit status 0 when nothing
the system's settings need is blocked, 1 otherwise, 2 when the check cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.environment import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    casavi = commands.add_parser("casavi", help="casavi as it really is (the contract check)")
    actions = casavi.add_subparsers(dest="casavi_command", required=True)
    check = actions.add_parser(
        "check",
        help="probe the system's casavi against openapi/casavi.yaml",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--system", required=True, choices=["production", "test"])
    check.add_argument(
        "--write-test",
        action="store_true",
        help="also create and remove one marked record per kind (casavi.allowWriteTest)",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")


async def run_casavi_command(args: argparse.Namespace, settings: Settings) -> int:
    from app.adapters.store.configs import SqlConfigs
    from app.adapters.store.database import create_engine, create_session_factory
    from app.configuration.contract_check import WriteTestNotAllowed, run_contract_check
    from app.configuration.secrets import SecretBox
    from app.errors import SyncNotPossible

    engine = create_engine(settings.database_url)
    try:
        configs = SqlConfigs(create_session_factory(engine), SecretBox(settings.secret_key))
        report = await run_contract_check(configs, args.system, write_test=args.write_test)
    except (WriteTestNotAllowed, SyncNotPossible) as exc:
        print(f"portal-gateway: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    if args.json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.table() + "\n")
    return report.exit_code
