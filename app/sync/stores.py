"""The gateway's stores, bound to one system: what a ``SystemContext`` hands its flows.

The store ports (``app.sync.ports``) are keyed by system on every call; a flow that works for
one system gets them bound (``Stores.bind``), so it never names its system again and cannot
write to another's. ``SystemContexts`` binds them once per configuration version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.ports import (
    Conflicts,
    Ledger,
    LedgerEntry,
    NoteLinks,
    Outcome,
    PayloadArchive,
    PortalActivity,
    PortalStates,
    PortalStatus,
    TicketPortalView,
)


@dataclass(frozen=True)
class TwoWay:
    """The gateway's state an outbound run or a trigger keeps up to date besides the ledger:
    the two-way stores, and the support archive (C13) with its P4 scrub."""

    note_links: NoteLinks
    conflicts: Conflicts
    portal_activity: PortalActivity
    archive: PayloadArchive | None = None


class SystemLedger:
    """One system's ledger: the ``Ledger`` port with its system bound."""

    def __init__(self, store: Ledger, system: str) -> None:
        self.store, self.system = store, system

    async def load(self, kind: EntityKind) -> dict[str, LedgerEntry]:
        """One kind's entries by ledger key (``RecordKey.ledger_key``)."""
        return await self.store.load(self.system, kind)

    async def identities(self, kinds: Sequence[EntityKind]) -> IdentityMap:
        return await self.store.identities(self.system, kinds)

    async def is_empty(self) -> bool:
        return await self.store.is_empty(self.system)

    async def entries(self, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        return await self.store.entries(self.system, keys)

    async def field_digests(self, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
        return await self.store.field_digests(self.system, keys)

    async def save(
        self,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        await self.store.save(self.system, kind, outcomes, known, run_id=run_id)


class SystemPortalStates:
    """One system's S1/S2 ticket states: the ``PortalStates`` port with its system bound."""

    def __init__(self, store: PortalStates, system: str) -> None:
        self.store, self.system = store, system

    async def save(self, states: Sequence[PortalStatus]) -> None:
        await self.store.save(self.system, states)

    async def one(self, ticket: TicketNumber) -> TicketPortalView | None:
        return await self.store.one(self.system, ticket)

    async def many(self, numbers: Sequence[str]) -> list[TicketPortalView]:
        return await self.store.many(self.system, numbers)


@dataclass(frozen=True)
class SystemStores:
    """One system's stores, bound."""

    system: str
    ledger: SystemLedger
    portal_states: SystemPortalStates
    # The two-way stores and the archive (None: this process keeps no notes, conflicts or
    # payloads - an outbound-only tool).
    two_way: TwoWay | None = None


@dataclass(frozen=True)
class Stores:
    """The store ports a composition root built, for ``SystemContexts`` to bind."""

    ledger: Ledger
    portal_states: PortalStates
    two_way: TwoWay | None = None

    def bind(self, system: str) -> SystemStores:
        return SystemStores(
            system=system,
            ledger=SystemLedger(self.ledger, system),
            portal_states=SystemPortalStates(self.portal_states, system),
            two_way=self.two_way,
        )
