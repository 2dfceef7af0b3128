"""What each pytest-xdist worker (``-n``) owns alone: a Redis database and a block of loopback
ports. Without ``-n`` the process is worker 0.

Redis: arq's job ids contain run ids, and run ids repeat across the workers' PostgreSQL
databases, so workers sharing one Redis database would take each other's jobs; worker ``k``
uses database ``base + k`` of ``TEST_REDIS_URL`` (no test flushes a database).

Ports: a port found free, released and then bound by a subprocess could meanwhile be taken by
another worker or by an outgoing connection. The blocks lie below Linux's ephemeral range
(32768 and up, where outgoing connections and ``bind(0)`` take theirs) and do not overlap, so
only a process outside this suite could take one; a port still bound is skipped.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # redis.conf's default `databases`
PORTS_FROM = 20_000
PORTS_PER_WORKER = 1_000
PORT_BLOCKS = 12  # 20000–31999, below the ephemeral range


def worker_index(worker: str | None = None) -> int:
    """0 for ``gw0`` (and without xdist), 1 for ``gw1`` …"""
    name = os.environ.get("PYTEST_XDIST_WORKER", "") if worker is None else worker
    return int(name.removeprefix("gw")) if name.startswith("gw") else 0


def worker_redis_url(base_url: str, index: int) -> str:
    """The Redis database of worker ``index``: the base URL's database number plus ``index``."""
    parts = urlsplit(base_url)
    base = int(parts.path.strip("/") or 0)
    database = base + index
    if database >= REDIS_DATABASES:
        raise RuntimeError(
            f"worker {index} would need Redis database {database} of {base_url}: use fewer "
            f"workers (-n) or a lower base database in TEST_REDIS_URL"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


def port_block(index: int) -> range:
    start = PORTS_FROM + (index % PORT_BLOCKS) * PORTS_PER_WORKER
    return range(start, start + PORTS_PER_WORKER)


def _ports() -> itertools.cycle[int]:
    block = list(port_block(worker_index()))
    start = random.randrange(len(block))  # another session of the suite starts elsewhere
    return itertools.cycle(block[start:] + block[:start])


_next_ports = _ports()


def free_port() -> int:
    """A loopback port of this worker's block that nobody listens on right now; each call
    another one (the block comes round again after 1,000)."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_next_ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free loopback port in {port_block(worker_index())}")
