"""The two-way stores, bound to one system (``TwoWay.bind``): what the inbound handlers, the
ticket bookkeeping, the notes stage and the support archive work with. Each is its port
(``app.sync.ports``) with the system given once, like the bound ledger (``app.sync.stores``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.ports import (
    ConflictRecord,
    Conflicts,
    ConflictSide,
    LedgerEntry,
    LedgerLinks,
    NewConflict,
    NoteLink,
    NoteLinks,
    PayloadArchive,
    PortalActivity,
)


class SystemNoteLinks:
    def __init__(self, store: NoteLinks, system: str) -> None:
        self.store, self.system = store, system

    async def by_ixhaus_note(self, note_id: str) -> NoteLink | None:
        return await self.store.by_ixhaus_note(self.system, note_id)

    async def by_casavi_message(self, message_id: str) -> NoteLink | None:
        return await self.store.by_casavi_message(self.system, message_id)

    async def by_casavi_messages(self, message_ids: Sequence[str]) -> dict[str, NoteLink]:
        return await self.store.by_casavi_messages(self.system, message_ids)

    async def record(self, link: NoteLink) -> bool:
        return await self.store.record(self.system, link)

    async def record_many(self, links: Sequence[NoteLink]) -> dict[str, NoteLink]:
        return await self.store.record_many(self.system, links)


class SystemConflicts:
    def __init__(self, store: Conflicts, system: str) -> None:
        self.store, self.system = store, system

    async def base(self, ticket: TicketNumber) -> dict[str, str | None]:
        return await self.store.base(self.system, ticket)

    async def set_base(self, ticket: TicketNumber, fields: dict[str, str | None]) -> None:
        await self.store.set_base(self.system, ticket, fields)

    async def add(self, conflict: NewConflict) -> int:
        return await self.store.add(self.system, conflict)

    async def get(self, conflict_id: int) -> ConflictRecord | None:
        return await self.store.get(self.system, conflict_id)

    async def list(self, *, open_only: bool, limit: int, after_id: int = 0) -> list[ConflictRecord]:
        return await self.store.list(
            self.system, open_only=open_only, limit=limit, after_id=after_id
        )

    async def resolve(
        self, conflict_id: int, *, side: ConflictSide, value: str | None, actor: str
    ) -> ConflictRecord | None:
        return await self.store.resolve(
            self.system, conflict_id, side=side, value=value, actor=actor
        )


class SystemPortalActivity:
    def __init__(self, store: PortalActivity, system: str) -> None:
        self.store, self.system = store, system

    async def record(self, ticket: TicketNumber, at: dt.datetime, what: str) -> None:
        await self.store.record(self.system, ticket, at, what)

    async def reset(self, ticket: TicketNumber, at: dt.datetime) -> bool:
        return await self.store.reset(self.system, ticket, at)


class SystemLinks:
    """The ledger's look-ups by casavi id (``LedgerLinks``), for one system."""

    def __init__(self, store: LedgerLinks, system: str) -> None:
        self.store, self.system = store, system

    async def by_casavi_id(
        self, kind: EntityKind, casavi_id: str
    ) -> tuple[RecordKey, LedgerEntry] | None:
        return await self.store.by_casavi_id(self.system, kind, casavi_id)

    async def entry(self, key: RecordKey) -> LedgerEntry | None:
        return await self.store.entry(self.system, key)

    async def link(self, key: RecordKey, casavi_id: str, fingerprint: str | None) -> None:
        await self.store.link(self.system, key, casavi_id, fingerprint)


class SystemArchive:
    def __init__(self, store: PayloadArchive, system: str) -> None:
        self.store, self.system = store, system

    async def keep(self, run_id: int | None, key: RecordKey, payload: bytes) -> None:
        await self.store.keep(self.system, run_id, key, payload)

    async def scrub(self, key: RecordKey) -> int:
        return await self.store.scrub(self.system, key)

    async def purge(self, before: dt.datetime, *, batch: int = 1000) -> int:
        return await self.store.purge(self.system, before, batch=batch)


@dataclass(frozen=True)
class SystemTwoWay:
    """One system's two-way stores, bound (``TwoWay.bind``)."""

    system: str
    note_links: SystemNoteLinks
    conflicts: SystemConflicts
    portal_activity: SystemPortalActivity
    links: SystemLinks
    archive: SystemArchive | None = None
