"""Engine and session factory for the gateway's own state.

Every engine has bounded waits, so an outage of its database fails a request in seconds
(mapped to a 503 problem at the edge) instead of hanging on the drivers' defaults (asyncpg
waits 60 s for a connection, SQLAlchemy's pool 30 s for a free one, a statement forever).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
# A pooled connection idle for longer than this is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0
# The ping's own bound (issue 23 item 8), never the statement timeout: a server that stopped
# answering costs at most this plus the connect timeout of the fresh connection the pool then
# tries, within the promised connect timeout + 1 s.
MAX_PING_TIMEOUT_SECONDS = 0.5


def ping_timeout(connect_timeout: float) -> float:
    return min(MAX_PING_TIMEOUT_SECONDS, connect_timeout / 2)


def create_engine(
    database_url: str,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    command_timeout: float | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> AsyncEngine:
    """An async engine whose connects (and pool checkouts) give up after ``connect_timeout``
    seconds and, when ``command_timeout`` is set, whose statements give up after that.

    On SQLite ``connect_timeout`` is the busy timeout: how long a writer waits for the lock.

    ``pool_size`` (not SQLite) is how many connections the pool keeps open; up to
    ``max_overflow`` (default 10) more are opened under load and closed again when returned.
    An API process needs about one per request in flight: with SQLAlchemy's default of 5,
    16 concurrent requests per process opened and closed a PostgreSQL connection (a backend
    fork) on most requests.
    """
    backend = make_url(database_url).get_backend_name()
    kwargs: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        # asyncpg: `timeout` bounds connecting (TCP + startup + auth); `command_timeout` bounds
        # every statement, the pool's pre-ping included (a silently dead server).
        connect_args["timeout"] = connect_timeout
        if command_timeout is not None:
            connect_args["command_timeout"] = command_timeout
    elif backend == "oracle":
        connect_args["tcp_connect_timeout"] = connect_timeout
    if backend != "sqlite":
        # Waiting for a free pooled connection is bounded the same way.
        kwargs["pool_timeout"] = connect_timeout
        if pool_size is not None:
            kwargs["pool_size"] = pool_size
        if max_overflow is not None:
            kwargs["max_overflow"] = max_overflow
    engine = create_async_engine(database_url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine, ping_timeout(connect_timeout))
    if backend == "sqlite":
        _tune_sqlite(engine, busy_timeout_ms=int(connect_timeout * 1000))
    return engine


def _ping_when_idle(engine: AsyncEngine, timeout: float) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections that sat idle in the pool, and
    bounded by ``timeout`` of its own.

    A connection that was in use a moment ago is alive; one that sat idle may have been cut
    (a database restart, a firewall's idle timeout) and is replaced before a request sees it.
    ``pool_pre_ping`` pinged on every checkout, and on asyncpg a ping outside a transaction is
    three round trips (BEGIN, ``;``, ROLLBACK): about a sixth of a small read's CPU; ours is
    one simple-protocol ``SELECT 1``. A request that meets a connection cut within the last second
    fails (503, and the pool drops its other connections); the next one gets fresh
    connections. A server that stopped answering fails the ping after ``timeout`` (issue 23
    item 8: the ping used to wait for the statement timeout, 30 s by default).
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            _ping(engine, dbapi_connection, timeout)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one).
            raise DisconnectionError(f"pooled connection is gone: {type(exc).__name__}") from exc


def _ping(engine: AsyncEngine, dbapi_connection: Any, timeout: float) -> None:
    """One round trip on ``dbapi_connection`` that gives up after ``timeout`` seconds."""
    driver = getattr(dbapi_connection, "_connection", None)
    if engine.dialect.driver == "asyncpg" and driver is not None:
        # asyncpg: one simple-protocol query (no prepared statement, so also fine behind
        # pgbouncer), with a timeout of its own instead of the statement timeout.
        try:
            await_(driver.execute("SELECT 1", timeout=timeout))
        except BaseException:
            # Dropped at once: the pool would otherwise close it politely, waiting up to 2 s
            # for a server that does not answer.
            driver.terminate()
            raise
    elif engine.dialect.name == "oracle" and driver is not None:
        # python-oracledb: every round trip is bounded by ``call_timeout`` (milliseconds).
        previous = driver.call_timeout
        driver.call_timeout = max(1, int(timeout * 1000))
        try:
            engine.dialect.do_ping(dbapi_connection)
        finally:
            driver.call_timeout = previous
    else:
        engine.dialect.do_ping(dbapi_connection)  # SQLite: a local file, nothing to wait for


def _tune_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    # Embedded mode: WAL lets readers run beside the one writer, and foreign keys are off
    # by default in SQLite; busy_timeout makes a second writer wait instead of failing.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def engine_of(session_factory: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine a session factory is bound to (for reads and writes that need no session)."""
    bind = session_factory.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the store needs a session factory bound to an engine")
    return bind


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for one or a few SELECTs that need no transaction of their own.

    On PostgreSQL it runs in autocommit: asyncpg then sends no BEGIN before the first statement
    and no ROLLBACK when the connection goes back to the pool, two round trips fewer per read
    (each statement still sees one consistent snapshot). Other backends get a plain connection.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


async def write_alone(
    session_factory: async_sessionmaker[AsyncSession],
    statement: Any,
    params: dict[str, Any] | None = None,
) -> int:
    """One INSERT/UPDATE/DELETE as its own transaction; the number of rows it changed.

    On PostgreSQL and SQLite in autocommit: one round trip instead of BEGIN, the statement
    and COMMIT (a single statement is atomic either way). Elsewhere in a session. A
    constraint violation raises ``IntegrityError`` as it would from the commit. ``params``
    fill a statement built once with ``bindparam`` (see ``app.adapters.store.inbox``).
    """
    engine = engine_of(session_factory)
    if engine.dialect.name in ("postgresql", "sqlite"):
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return int(getattr(await auto.execute(statement, params), "rowcount", 0))
    async with session_factory() as session:
        changed = int(getattr(await session.execute(statement, params), "rowcount", 0))
        await session.commit()
        return changed
