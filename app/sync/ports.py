"""The ports the sync layer talks to; adapters implement them."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class RunCounts(msgspec.Struct, frozen=True):
    sent: int = 0
    skipped: int = 0
    errors: int = 0


class OutboundSync(Protocol):
    """One outbound sync of a system, reporting what it sent, skipped and failed."""

    async def __call__(self, system: str, run_id: int) -> RunCounts: ...


class JobQueue(Protocol):
    """Where jobs go: arq on Redis, or the same functions in-process (embedded mode)."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """Queue ``function(*args)``; False when a job with ``job_id`` is queued or running."""
        ...

    async def ping(self) -> None:
        """Raise when the queue's backing server does not answer."""
        ...

    async def close(self) -> None: ...


class PortalWriter(Protocol):
    """Where canonical portal records go (casavi). Every write is idempotent by key."""

    async def put(self, entity: str, key: str, record: Any, *, exists: bool = False) -> str:
        """Create or update the record; return casavi's reference id for it.

        ``exists`` is the ledger's belief that casavi has the record (saves a round trip).
        """
        ...

    async def remove(self, entity: str, key: str) -> None:
        """Make sure casavi no longer shows the record (a missing one is fine)."""
        ...
