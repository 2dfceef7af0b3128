"""The suite on several pytest-xdist workers (README's test command): what each worker owns
alone, and how files are handed out."""

from __future__ import annotations

import pytest

from tests.support.parallel import (
    PORT_BLOCKS,
    port_block,
    worker_index,
    worker_redis_url,
)
from tests.support.schedule import SLOWEST_FIRST, rank, unit_of


def test_each_worker_has_its_own_redis_database_above_the_base() -> None:
    assert worker_index("gw0") == 0
    assert worker_index("gw2") == 2
    assert worker_index("") == 0  # no xdist: the base database
    base = "redis://127.0.0.1:6379/8"
    assert worker_redis_url(base, 0) == base
    assert worker_redis_url(base, 3) == "redis://127.0.0.1:6379/11"
    assert worker_redis_url("redis://:pw@127.0.0.1:6379", 1) == "redis://:pw@127.0.0.1:6379/1"


def test_a_worker_beyond_the_servers_databases_is_refused() -> None:
    with pytest.raises(RuntimeError, match="fewer workers"):
        worker_redis_url("redis://127.0.0.1:6379/14", 2)


def test_workers_port_blocks_do_not_overlap_nor_meet_the_ephemeral_range() -> None:
    blocks = [set(port_block(i)) for i in range(PORT_BLOCKS)]
    for i, block in enumerate(blocks):
        assert max(block) < 32_768  # Linux's ephemeral ports (outgoing connections) start here
        for other in blocks[i + 1 :]:
            assert not block & other


def test_files_go_whole_and_the_console_tests_together_slowest_first() -> None:
    assert unit_of("tests/unit/test_cli.py::test_help") == "tests/unit/test_cli.py"
    assert unit_of("tests/e2e/console/test_a.py::test_x") == unit_of(
        "tests/e2e/console/test_b.py::test_y"
    )
    flood = "tests/e2e/console/test_console_anonymous_flood.py"
    assert unit_of(f"{flood}::test_x") == flood  # no browser, no shared gateway
    assert rank("tests/e2e/console/test_a.py::test_x") == 0
    assert rank("tests/integration/inbound/test_x.py::t") < rank("tests/integration/test_x.py::t")
    assert rank("tests/test_openapi.py::test_x") == len(SLOWEST_FIRST)
    # A long file goes out before the folders, though another of its folder comes first.
    schemathesis = "tests/integration/test_schemathesis.py::test_api_conforms_to_its_spec"
    assert rank(schemathesis) < rank("tests/integration/inbound/test_x.py::t")
    assert rank("tests/faults/test_run_faults.py::t") < rank("tests/e2e/test_demo.py::t")
