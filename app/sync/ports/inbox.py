"""Inbound (casavi -> iX-Haus): the inbox."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import msgspec

# -- inbound (casavi -> iX-Haus): the inbox ----------------------------------------------------
InboxStatus = Literal["received", "done", "parked", "discarded"]
# The gateway's own change in casavi, stored as done so the poll never processes it
# (``app.sync.inbound.own_writes``); bookkeeping, not an event: lists leave it out.
OWN_WRITE_EVENT = "ticket.own_write"


class NewInboxEvent(msgspec.Struct, frozen=True, kw_only=True):
    external_id: str  # the callback's event id, or "poll:<ticket id>@<modifiedAt>"
    event_type: str
    ticket_ref: str
    occurred_at: dt.datetime
    payload: dict[str, Any]


class InboxEvent(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    system: str
    external_id: str
    event_type: str
    ticket_ref: str | None
    occurred_at: dt.datetime | None
    received_at: dt.datetime
    payload: dict[str, Any]
    status: str
    attempts: int
    processed_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_error: str | None


class Inbox(Protocol):
    """Every inbound event, stored once, then processed by a job (the source of truth)."""

    async def add(
        self, system: str, events: Sequence[NewInboxEvent], *, done: bool = False
    ) -> list[NewInboxEvent]:
        """Store the events not stored yet; return those (duplicates are left out).
        ``done``: stored as processed already (the gateway's own changes in casavi, which
        the poll must recognise and never process)."""
        ...

    async def pending(self, system: str, ticket_ref: str) -> list[InboxEvent]:
        """The ticket's received events, in (occurredAt, id) order."""
        ...

    async def claim(self, system: str, ticket_ref: str, holder: str, seconds: float) -> bool: ...
    async def release(self, system: str, ticket_ref: str, holder: str) -> None: ...
    async def done(self, event_id: int) -> None: ...
    async def park(self, event_ids: Sequence[int], reason: str, retry_at: dt.datetime) -> None: ...
    async def unpark(self, system: str, ticket_ref: str) -> int:
        """Make the ticket's parked events pending again (their cause may be gone)."""
        ...

    async def get(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def list(
        self, system: str, *, status: str | None, limit: int, after_id: int = 0
    ) -> list[InboxEvent]: ...
    async def retry(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def discard(self, system: str, event_id: int) -> InboxEvent | None: ...
    async def due(
        self, now: dt.datetime, older_than: dt.datetime
    ) -> builtins.list[tuple[str, str]]:
        """(system, ticket) with events to process: received before ``older_than``, or
        parked with their next attempt due (those are made pending again)."""
        ...

    async def purge(self, system: str, before: dt.datetime) -> int:
        """Delete processed and discarded events received before ``before`` (GDPR)."""
        ...

    async def backlog(self, system: str) -> tuple[int, dt.datetime | None]:
        """(how many events are parked, when the oldest unprocessed one was received)."""
        ...

    async def waiting(self, system: str) -> tuple[int, int, dt.datetime | None]:
        """(events received and not yet processed, events parked, when the oldest of the
        received ones arrived): the inbound queue as metrics report it."""
        ...

    async def cursor(self, system: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """(casavi modifiedAt seen last, when the last poll ran)."""
        ...

    async def set_cursor(
        self, system: str, modified_after: dt.datetime | None, polled_at: dt.datetime
    ) -> None: ...
