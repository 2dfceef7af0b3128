"""Issue 10 item 6: which errors are "a server did not answer" (503) and which are bugs (500)."""

from __future__ import annotations

import asyncpg.exceptions
import pytest
import sqlalchemy.exc

from app.api.problems import is_unavailable


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("gone")),
        sqlalchemy.exc.InterfaceError("SELECT 1", {}, Exception("closed")),
        sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("x"), connection_invalidated=True),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    ],
)
def test_outages_are_unavailable(exc: Exception) -> None:
    assert is_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        sqlalchemy.exc.ProgrammingError("SELEC", {}, Exception("syntax error")),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
    ],
)
def test_bugs_stay_internal_errors(exc: Exception) -> None:
    assert not is_unavailable(exc)
