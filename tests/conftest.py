"""Shared fixtures: real PostgreSQL and Redis on loopback, one throwaway database per session.

Override the servers with TEST_PG_ADMIN_URL (an asyncpg DSN to a database we may CREATE
DATABASE from) and TEST_REDIS_URL. Under pytest-xdist (``-n``) each worker has its own
PostgreSQL databases and its own Redis database, the base one plus its index
(tests/support/parallel.py).

Tests that need a server (PostgreSQL, Redis, a subprocess, a browser or a simulator on a
real socket) carry the ``server`` mark, set here by folder, by fixture and by parameter, or
written on the test; ``pytest -m "not server"`` is the fast inner loop (README.md). A test
without the mark that opens a network socket or starts a process fails and says so.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from tests.support.parallel import worker_index, worker_redis_url

if TYPE_CHECKING:
    from app.sandbox.ixhaus.profiles import ProfileSpec

# Python's bytecode caches, as it writes them by default, for this process and every process
# it starts: the suite starts well over a hundred Python processes (xdist workers, the
# worker, the servers, the CLI, the operations guide's installation), and with
# PYTHONDONTWRITEBYTECODE set (as some CI images and containers do) each one compiled every
# module it imports anew, and each xdist worker every test module (issue 20 item 7).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
# How `-n <k> --dist loadfile` hands out the files (README's test command).
pytest_plugins = ["tests.support.schedule"]

REDIS_URL = worker_redis_url(
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), worker_index()
)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session; a plain postgresql:// URL."""
    name = f"pgw_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(PG_ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (migration tests)."""
    name = f"pgw_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(PG_ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@contextmanager
def seeded_ixhaus_database(profile: str | ProfileSpec = "small", seed: int = 1) -> Iterator[str]:
    """A throwaway PostgreSQL database holding an iX-Haus sandbox portfolio (a profile by
    name, or a ``ProfileSpec`` of the test's own)."""
    from app.sandbox.ixhaus import seed_database

    name = f"pgw_ixhaus_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = _with_database(PG_ADMIN_URL, name)
    try:
        asyncio.run(seed_database(url, profile, seed))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def ixhaus_sandbox_pg() -> Iterator[str]:
    """The `small` iX-Haus sandbox portfolio (seed 1), read-only for the whole session."""
    with seeded_ixhaus_database() as url:
        yield url


# Where a test needs a server: these folders, these fixtures (PostgreSQL, Redis, the simulators
# on a server thread), a parameter naming PostgreSQL (a test run once per backend).
SERVER_FOLDERS = frozenset({"integration", "e2e", "faults"})
SERVER_FIXTURES = frozenset(
    {"pg_database", "fresh_pg_database", "redis_url", "ixhaus_sandbox_pg"}
    | {"simulator", "dw_simulator"}
)
SERVER_PARAMS = frozenset({"postgresql"})
TESTS = Path(__file__).parent


def needs_server(item: pytest.Item) -> bool:
    if item.get_closest_marker("server") is not None:
        return True
    folder = Path(item.path).relative_to(TESTS).parts[0]
    if folder in SERVER_FOLDERS:
        return True
    if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(value, str) and value in SERVER_PARAMS for value in params)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast loop does not even import the folders it would deselect whole (their
    modules and the schema-driven tests' collection cost seconds)."""
    fast = config.option.markexpr.strip() == "not server"
    if fast and collection_path.parent == TESTS and collection_path.name in SERVER_FOLDERS:
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if needs_server(item):
            item.add_marker(pytest.mark.server)


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"{what} in a test without the server mark: mark it @pytest.mark.server "
            "(or use a server fixture) so the fast loop (-m 'not server') leaves it out"
        )

    return refuse


@contextmanager
def _no_servers() -> Iterator[None]:
    """The test's thread may open no network socket (Unix ones, as asyncio's self-pipe, are
    fine) and start no process. Other threads are left alone: a wider-scoped fixture of an
    earlier server test may still be serving."""
    test_thread = threading.get_ident()
    originals = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex", "bind")}
    popen = subprocess.Popen.__init__

    def guarded(name: str) -> Callable[..., Any]:
        original = originals[name]

        def call(sock: socket.socket, address: Any) -> Any:
            network = sock.family in (socket.AF_INET, socket.AF_INET6)
            if network and threading.get_ident() == test_thread:
                _refuse(f"socket.{name}({address!r})")()
            return original(sock, address)

        return call

    def guarded_popen(process: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if threading.get_ident() == test_thread:
            _refuse(f"a subprocess {args[:1]!r}")()
        popen(process, *args, **kwargs)

    try:
        for name in originals:
            setattr(socket.socket, name, guarded(name))
        subprocess.Popen.__init__ = guarded_popen  # type: ignore[method-assign,assignment]
        yield
    finally:
        for name, original in originals.items():
            setattr(socket.socket, name, original)
        subprocess.Popen.__init__ = popen  # type: ignore[method-assign]


def _guard(item: pytest.Item) -> AbstractContextManager[None]:
    return nullcontext() if item.get_closest_marker("server") else _no_servers()


# Set-up and the test itself; not tear-down, where a wider-scoped fixture of an earlier
# server test may close its server.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _guard(item):
        return (yield)
