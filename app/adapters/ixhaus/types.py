"""Column types of the interface schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.dialects import oracle
from sqlalchemy.types import TypeDecorator, TypeEngine

# Backends without a usable offset type get naive UTC values (SQLite has none; python-oracledb
# binds aware datetimes without their offset, so Oracle uses TIMESTAMP holding UTC).
_NAIVE_UTC = frozenset({"sqlite", "oracle"})


class UTCDateTime(TypeDecorator[dt.datetime]):
    """UTC-aware timestamps on Oracle, PostgreSQL and SQLite.

    SQLite and Oracle hold naive UTC: values go in as UTC and come back tagged UTC; naive
    datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "oracle":
            return dialect.type_descriptor(oracle.TIMESTAMP())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the interface stores UTC-aware timestamps")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name in _NAIVE_UTC else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
