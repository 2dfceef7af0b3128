"""iX-Haus adapter: interface schema (Core), streaming reader, idempotent writer."""

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import (
    IxhausSchemaConfig,
    IxhausTables,
    build_metadata,
    build_tables,
)
from app.adapters.ixhaus.writer import IxhausWriter

__all__ = [
    "IxhausReader",
    "IxhausSchemaConfig",
    "IxhausTables",
    "IxhausWriter",
    "build_metadata",
    "build_tables",
]
