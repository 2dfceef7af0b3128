"""Both directions of tickets and notes: note links (N1, N2), conflicts, portal activity (S2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, Protocol

import msgspec

from app.domain.keys import TicketNumber

# -- both directions of tickets and notes (rules N1, N2, S2, conflicts) ----------------------
NoteOrigin = Literal["ixhaus", "casavi"]
ConflictSide = Literal["ixhaus", "casavi", "value"]


class NoteLink(msgspec.Struct, frozen=True, kw_only=True):
    """Which casavi message is which iX-Haus note, and who wrote it first (echo suppression)."""

    ticket_number: str
    ixhaus_note_id: str | None
    casavi_message_id: str | None
    origin: NoteOrigin


class NoteLinks(Protocol):
    async def by_ixhaus_note(self, system: str, note_id: str) -> NoteLink | None: ...
    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None: ...
    async def by_casavi_messages(
        self, system: str, message_ids: Sequence[str]
    ) -> dict[str, NoteLink]:
        """The links of those of ``message_ids`` that are linked, by message id (one read
        for a ticket's listed messages instead of one per message)."""
        ...

    async def record(self, system: str, link: NoteLink) -> bool:
        """Store the link; False when one side of it is linked already (idempotent)."""
        ...

    async def record_many(self, system: str, links: Sequence[NoteLink]) -> dict[str, NoteLink]:
        """Store each link whose two sides are both unlinked (idempotent, in one commit);
        return the link now stored for each iX-Haus note named, by note id."""
        ...


class ConflictRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Both sides changed one ticket field since the last sync; the policy decided."""

    id: int
    system: str
    ticket_number: str
    field: str
    base_value: str | None
    ixhaus_value: str | None
    casavi_value: str | None
    policy: str
    resolution: str | None
    resolved_value: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime


class NewConflict(msgspec.Struct, frozen=True, kw_only=True):
    ticket_number: str
    field: str
    base_value: str | None
    ixhaus_value: str | None
    casavi_value: str | None
    policy: str
    # Set when the policy decided at once (ixhaus_wins/casavi_wins); None for "manual".
    resolution: str | None


class Conflicts(Protocol):
    """Conflicts and the base they are measured against: the last synced value per field."""

    async def base(self, system: str, ticket: TicketNumber) -> dict[str, str | None]: ...
    async def set_base(
        self, system: str, ticket: TicketNumber, fields: dict[str, str | None]
    ) -> None:
        """Merge ``fields`` into the ticket's base (fields not named keep their value)."""
        ...

    async def add(self, system: str, conflict: NewConflict) -> int: ...
    async def get(self, system: str, conflict_id: int) -> ConflictRecord | None: ...
    async def list(
        self, system: str, *, open_only: bool, limit: int, after_id: int = 0
    ) -> list[ConflictRecord]: ...
    async def resolve(
        self, system: str, conflict_id: int, *, side: ConflictSide, value: str | None, actor: str
    ) -> ConflictRecord | None:
        """Mark resolved (first resolution wins); None when no such conflict exists."""
        ...


class PortalActivity(Protocol):
    """Rule S2: when the last change in the portal happened and what it was."""

    async def record(self, system: str, ticket: TicketNumber, at: dt.datetime, what: str) -> None:
        """Keep the latest activity (an older ``at`` never overwrites a newer one)."""
        ...

    async def reset(self, system: str, ticket: TicketNumber, at: dt.datetime) -> bool:
        """Staff changed the ticket: clear both columns; False for an unknown ticket."""
        ...
