"""The gateway's stores, bound to one system: what a ``SystemContext`` hands its flows (the
two-way stores bound in ``app.sync.two_way``).

The store ports (``app.sync.ports``) are keyed by system on every call; a flow that works for
one system gets them bound (``Stores.bind``), so it never names its system again and cannot
write to another's. ``SystemContexts`` binds them once per configuration version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol, overload

from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.errors import SyncNotPossible
from app.sync.ports import (
    Conflicts,
    Ledger,
    LedgerEntry,
    LedgerLinks,
    NoteLinks,
    Outcome,
    PayloadArchive,
    PortalActivity,
    PortalStates,
    PortalStatus,
    TicketPortalView,
)
from app.sync.two_way import (
    SystemArchive,
    SystemConflicts,
    SystemLinks,
    SystemNoteLinks,
    SystemPortalActivity,
    SystemTwoWay,
)


@dataclass(frozen=True)
class TwoWay:
    """The gateway's state both directions keep up to date besides the ledger: the two-way
    stores, the ledger's look-ups by casavi id (the inbound side), and the support archive
    (C13) with its P4 scrub."""

    note_links: NoteLinks
    conflicts: Conflicts
    portal_activity: PortalActivity
    links: LedgerLinks
    archive: PayloadArchive | None = None

    def bind(self, system: str) -> SystemTwoWay:
        return SystemTwoWay(
            system=system,
            note_links=SystemNoteLinks(self.note_links, system),
            conflicts=SystemConflicts(self.conflicts, system),
            portal_activity=SystemPortalActivity(self.portal_activity, system),
            links=SystemLinks(self.links, system),
            archive=None if self.archive is None else SystemArchive(self.archive, system),
        )


class SaveOutcomes(Protocol):
    """``Ledger.save`` with its system bound."""

    def __call__(
        self,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> Awaitable[None]: ...


class BoundLedger(Protocol):
    """A ledger with its system bound: ``SystemLedger``, or the dry run's planning ledger."""

    @property
    def save(self) -> SaveOutcomes: ...
    async def load(self, kind: EntityKind) -> dict[str, LedgerEntry]: ...
    async def identities(self, kinds: Sequence[EntityKind]) -> IdentityMap: ...
    async def is_empty(self) -> bool: ...
    async def entries(self, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]: ...
    async def field_digests(self, keys: Sequence[RecordKey]) -> dict[RecordKey, str]: ...


class BoundPortalStates(Protocol):
    """S1/S2 ticket states with the system bound: ``SystemPortalStates`` (or none kept)."""

    async def save(self, states: Sequence[PortalStatus]) -> None: ...
    async def one(self, ticket: TicketNumber) -> TicketPortalView | None: ...
    async def many(self, numbers: Sequence[str]) -> list[TicketPortalView]: ...


class SystemLedger:
    """One system's ledger: the ``Ledger`` port with its system bound."""

    def __init__(self, store: Ledger, system: str) -> None:
        self.store, self.system = store, system
        # The store's own save, its system bound without a frame of ours: a stage's writes
        # reach the store as directly as before the binding (docs/architecture.md, hops).
        self.save: SaveOutcomes = partial(store.save, system)

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
    ledger: BoundLedger
    portal_states: BoundPortalStates
    # The two-way stores and the archive (None: this process keeps no notes, conflicts or
    # payloads - an outbound-only tool).
    two_way: SystemTwoWay | None = None


@dataclass(frozen=True)
class Stores:
    """The store ports a composition root built, for ``SystemContexts`` to bind (and for the
    reads of the API and the console, which need no system's adapters)."""

    ledger: Ledger
    portal_states: PortalStates
    two_way: TwoWay | None = None

    def bind(self, system: str) -> SystemStores:
        return SystemStores(
            system=system,
            ledger=SystemLedger(self.ledger, system),
            portal_states=SystemPortalStates(self.portal_states, system),
            two_way=None if self.two_way is None else self.two_way.bind(system),
        )


@overload
def two_way_of(stores: Stores) -> TwoWay: ...
@overload
def two_way_of(stores: SystemStores) -> SystemTwoWay: ...
def two_way_of(stores: Stores | SystemStores) -> TwoWay | SystemTwoWay:
    """The two-way stores, which every composition root of the gateway gives (an
    outbound-only tool does not: there, what needs them is not possible)."""
    if stores.two_way is None:
        raise SyncNotPossible("This process keeps no two-way state (notes, conflicts, S2).")
    return stores.two_way


def identities_of(entries: Mapping[RecordKey, LedgerEntry]) -> IdentityMap:
    """The identity map of a few records (a trigger's ticket and its references)."""
    return IdentityMap.of_rows(
        (key.kind.value, key.ledger_key, entry.state, entry.casavi_id)
        for key, entry in entries.items()
    )
