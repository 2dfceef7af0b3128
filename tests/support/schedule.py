"""How ``pytest -n <k> --dist loadfile`` hands the suite to its workers (tests/conftest.py
installs this scheduler for ``--dist loadfile``).

A file goes to one worker whole, so its module-scoped fixtures (a seeded iX-Haus database, a
browser) are built once. The console's browser tests are one unit: they share a
session-scoped gateway, built once instead of once per worker. The slowest folders go out
first, so no long file starts last while the other workers idle (xdist would order by the
number of tests, and the slowest files have few).
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

# One work unit: the files under this folder.
TOGETHER = ("tests/e2e/console/",)

# The order work goes out in, slowest folder first (measured with --durations=0); a file not
# under one of these goes last. Within a folder: the collection's order.
SLOWEST_FIRST = (
    "tests/e2e/console/",
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
    for folder in TOGETHER:
        if nodeid.startswith(folder):
            return folder
    return nodeid.split("::", 1)[0]


def rank(nodeid: str) -> int:
    for position, folder in enumerate(SLOWEST_FIRST):
        if nodeid.startswith(folder):
            return position
    return len(SLOWEST_FIRST)


class SlowestFilesFirst(LoadFileScheduling):  # type: ignore[misc]  # xdist ships no types
    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def schedule(self) -> None:
        if self.collection is None:  # the first call: order the work before it goes out
            for node, collection in self.registered_collections.items():
                self.registered_collections[node] = sorted(collection, key=rank)
        super().schedule()
