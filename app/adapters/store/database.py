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

DEFAULT_CONNECT_TIMEOUT_SECONDS = 5.0
# A pooled connection idle for longer than this is pinged before use (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(
    database_url: str,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    command_timeout: float | None = None,
    pool_size: int | None = None,
) -> AsyncEngine:
    """An async engine whose connects (and pool checkouts) give up after ``connect_timeout``
    seconds and, when ``command_timeout`` is set, whose statements give up after that.

    On SQLite ``connect_timeout`` is the busy timeout: how long a writer waits for the lock.

    ``pool_size`` (not SQLite) is how many connections the pool keeps open; up to 10 more are
    opened under load and closed again when returned. An API process needs about one per
    request in flight: with SQLAlchemy's default of 5, 16 concurrent requests per process
    opened and closed a PostgreSQL connection (a backend fork) on most requests.
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
    engine = create_async_engine(database_url, connect_args=connect_args, **kwargs)
    _ping_when_idle(engine)
    if backend == "sqlite":
        _tune_sqlite(engine, busy_timeout_ms=int(connect_timeout * 1000))
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections that sat idle in the pool.

    A connection that was in use a moment ago is alive; one that sat idle may have been cut
    (a database restart, a firewall's idle timeout) and is replaced before a request sees it.
    ``pool_pre_ping`` pinged on every checkout, and on asyncpg a ping outside a transaction is
    three round trips (BEGIN, ``;``, ROLLBACK): about a sixth of a small read's CPU. A request
    that meets a connection cut within the last second fails (503, and the pool drops its
    other connections); the next one gets fresh connections.
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
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one).
            raise DisconnectionError(f"pooled connection is gone: {type(exc).__name__}") from exc


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


async def write_alone(session_factory: async_sessionmaker[AsyncSession], statement: Any) -> int:
    """One INSERT/UPDATE/DELETE as its own transaction; the number of rows it changed.

    On PostgreSQL and SQLite in autocommit: one round trip instead of BEGIN, the statement
    and COMMIT (a single statement is atomic either way). Elsewhere in a session. A
    constraint violation raises ``IntegrityError`` as it would from the commit.
    """
    engine = engine_of(session_factory)
    if engine.dialect.name in ("postgresql", "sqlite"):
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return int(getattr(await auto.execute(statement), "rowcount", 0))
    async with session_factory() as session:
        changed = int(getattr(await session.execute(statement), "rowcount", 0))
        await session.commit()
        return changed
