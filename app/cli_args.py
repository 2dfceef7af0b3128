"""Arguments of the commands whose modules are heavy (``sync``): defined here, import-light.

``portal-gateway --help`` builds every sub-parser; a command's own module (``app.cli_sync``,
which pulls in SQLAlchemy and the whole sync engine) is imported only when that command runs.
``tests/unit/test_cli_imports.py`` guards this.
"""

from __future__ import annotations

import argparse
from typing import get_args

from app.api.schemas import PlannedEntity

SYNC_DESCRIPTION = """\
A run is executed in this process (as the worker's job would: same claim, heartbeat, ledger
and protocol), with a progress bar on a terminal and one line per stage otherwise, and ends
with a summary. When the system already has a run queued or running (the worker's), the
command follows that one instead of starting a second. Exit status: 0 succeeded, 3 partial
(some records failed), 1 failed.

``--dry-run`` prints the plan (``POST …/sync-runs {"dryRun": true}``) and sends nothing;
``--json`` prints it as the API answers it.
"""


def add_sync_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser(
        "sync",
        help="run a sync now (or print its plan with --dry-run)",
        description=SYNC_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sync.add_argument("--system", required=True, choices=["production", "test"])
    sync.add_argument("--dry-run", action="store_true", help="print the plan; send nothing")
    sync.add_argument(
        "--entity",
        action="append",
        # PlannedEntity lists sync.outbound.plan.PLANNED_KINDS (a test holds them equal).
        choices=list(get_args(PlannedEntity)),
        help="with --dry-run: plan only these entity kinds (repeatable)",
    )
    sync.add_argument("--json", action="store_true", help="with --dry-run: print the plan as JSON")
