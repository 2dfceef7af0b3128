"""How ``pytest -n <k> --dist loadfile`` (README's test command) hands the suite to its
workers; a plugin of tests/conftest.py.

A file goes to one worker whole, so its module-scoped fixtures (a seeded iX-Haus database, a
browser, an installation) are built once. The console's browser tests are one unit: they share
a session-scoped gateway, built once instead of once per worker. The slowest folders go out
first, so no long file starts last while the other workers idle (xdist would order by the
number of tests, and the slowest files have few).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

# One work unit: the files under this folder (the browser tests on the shared gateway) ...
TOGETHER = ("tests/e2e/console/",)
# ... but for these, which build servers of their own.
APART = (
    "tests/e2e/console/test_console_anonymous_flood.py",
    "tests/e2e/console/test_console_shared_sessions.py",
)

# The order work goes out in, slowest first (measured with --durations): the four files of a
# minute or more, then folders; a file not under one of these goes last. Within a folder: the
# collection's order. (A long file handed out late ran on alone while the other workers had
# finished: the schemathesis file, 74 s, started at 237 s of 312.)
SLOWEST_FIRST = (
    "tests/e2e/console/",
    "tests/faults/test_run_faults.py",
    "tests/e2e/test_operations_guide.py",
    "tests/integration/test_schemathesis.py",
    "tests/integration/sync/test_seams.py",
    "tests/e2e/",
    "tests/faults/",
    "tests/integration/inbound/",
    "tests/integration/sync/",
    "tests/integration/",
    "tests/sandbox/",
    "tests/adapters/",
    "tests/unit/",
)


def unit_of(nodeid: str) -> str:
    file = nodeid.split("::", 1)[0]
    for folder in TOGETHER:
        if file.startswith(folder) and file not in APART:
            return folder
    return file


def rank(nodeid: str) -> int:
    for position, folder in enumerate(SLOWEST_FIRST):
        if nodeid.startswith(folder):
            return position
    return len(SLOWEST_FIRST)


class WholeFiles(LoadFileScheduling):  # type: ignore[misc]  # xdist ships no types
    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)


def _loadfile(config: pytest.Config) -> bool:
    return bool(config.getvalue("dist") == "loadfile")


def unique_nodeids(items: list[pytest.Item]) -> None:
    """xdist keeps a file's tests by node id: tests sharing one would run once for all of
    them. Schemathesis gives each API operation's test the function's id (its own renaming
    sets an attribute pytest 9.2 no longer reads); these get the item's name
    (``test_x[GET /health/live]``), as parametrised tests have."""
    seen = Counter(item.nodeid for item in items)
    for item in items:
        if seen[item.nodeid] > 1 and item.parent is not None:
            if hasattr(item, "_id"):  # pytest >= 9.2: a structured id
                setattr(item, "_id", item.parent.id.child(item.name))  # noqa: B010
            else:
                setattr(item, "_nodeid", f"{item.parent.nodeid}::{item.name}")  # noqa: B010
    shared = [nodeid for nodeid, count in Counter(i.nodeid for i in items).items() if count > 1]
    if shared:
        raise pytest.UsageError(f"tests share a node id, xdist would run one: {shared[:3]}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unique node ids; and on each worker, slowest folders first: every worker collects the
    same order, which is the order the controller hands the work out in. (The controller
    must not reorder its copy: it names tests to a worker by their index in the worker's
    collection.)"""
    unique_nodeids(items)
    if hasattr(config, "workerinput") and _loadfile(config):
        items.sort(key=lambda item: rank(item.nodeid))  # stable: a file's tests stay together


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's, called on the controller
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if not _loadfile(config):
        return None
    config.option.loadscopereorder = False  # the collection's order, not by number of tests
    return WholeFiles(config, log)
