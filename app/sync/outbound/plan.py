"""A dry run: what a run would do now, per record, without sending or writing anything.

The run's own code decides every record (``run.run_outbound``) against a portal that sends
nothing and a ledger that keeps this run's outcomes in memory on top of the real one, so later
stages see the records earlier stages would have created (a ticket's unit, say) exactly as in
a real run. The plan lists every record whose state would change - ``create``, ``update``
(with the fields that changed, from the ledger's field digests), ``delete`` (with the reason)
and ``exclude`` (newly excluded, with the reason) - and counts the rest.

Not planned: the public notes (N1/N2) and documents (D1-D6), whose stages read and write
casavi as they go; the S1 states and the protocol are not written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec

from app.domain.fingerprint import changed_fields
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.context import SystemContext
from app.sync.outbound.run import RUN_KINDS, Scope, run_outbound
from app.sync.ports import (
    LedgerEntry,
    Outcome,
    PortalRecord,
    PortalStatus,
    PortalWrite,
    Presence,
    TicketPortalView,
)
from app.sync.stores import BoundLedger, SystemStores

PlanAction = Literal["create", "update", "delete", "exclude"]
# What a dry run can plan: every kind a run sends except public notes and documents.
PLANNED_KINDS = tuple(k for k in RUN_KINDS if k not in (EntityKind.NOTE, EntityKind.DOCUMENT))
# The plan lists at most this many records (the counts cover all of them).
MAX_PLAN_ITEMS = 10_000


class PlanItem(msgspec.Struct, frozen=True, kw_only=True):
    key: RecordKey
    action: PlanAction
    # update: the fields that would change (None: sent before the gateway kept field digests)
    fields: list[str] | None = None
    reason_code: str | None = None  # delete, exclude


class SyncPlan(msgspec.Struct, kw_only=True):
    system: str
    kinds: list[EntityKind]
    items: list[PlanItem]
    truncated: bool
    creates: int = 0
    updates: int = 0
    deletes: int = 0
    excludes: int = 0
    unchanged: int = 0
    # Records already excluded for the same reason (not listed) and records still failing
    # whose retry is not due yet (not listed either).
    still_excluded: int = 0
    waiting: int = 0


async def plan_run(
    ctx: SystemContext,
    *,
    now: datetime,
    kinds: Sequence[EntityKind] | None = None,
    limit: int = MAX_PLAN_ITEMS,
) -> SyncPlan:
    """The plan of a run of ``ctx``'s system now, over ``kinds`` (default: all planned)."""
    wanted = frozenset(kinds or PLANNED_KINDS)
    planner = _PlanningLedger(ctx.stores.ledger, limit)
    # Nothing can reach casavi: the planning portal, and no document or ticket clients; and
    # nothing is written: the planning ledger, no ticket states, no two-way stores.
    adapters = dataclasses.replace(
        ctx.adapters,
        portal=PlanningPortal(),
        documents=None,
        contents=None,
        casavi=None,
        writer=None,
    )
    stores = SystemStores(ctx.system, planner, _NoStates())
    quiet = dataclasses.replace(ctx, adapters=adapters, stores=stores)
    report = await run_outbound(quiet, run_id=None, now=now, scope=Scope(kinds=wanted))
    total = report.tally
    items = await planner.items()
    count = {action: 0 for action in ("create", "update", "delete", "exclude")}
    for action in planner.actions:
        count[action] += 1
    return SyncPlan(
        system=ctx.system,
        kinds=[k for k in PLANNED_KINDS if k in wanted],
        items=items,
        truncated=len(planner.actions) > len(items),
        creates=count["create"],
        updates=count["update"],
        deletes=count["delete"],
        excludes=count["exclude"],
        unchanged=total.unchanged - total.still_excluded,
        still_excluded=total.still_excluded,
        waiting=total.waiting,
    )


class _PlanningLedger:
    """The system's real ledger for reading, this run's outcomes in memory for writing."""

    def __init__(self, ledger: BoundLedger, limit: int) -> None:
        self._ledger = ledger
        self._limit = limit
        self._planned: dict[str, LedgerEntry] = {}  # by ledger key
        self._listed: list[tuple[RecordKey, PlanAction, str | None, str | None]] = []
        self.actions: list[PlanAction] = []

    async def load(self, kind: EntityKind) -> dict[str, LedgerEntry]:
        entries = await self._ledger.load(kind)
        prefix = f"{kind.value}:"
        entries.update((k, e) for k, e in self._planned.items() if k.startswith(prefix))
        return entries

    async def identities(self, kinds: Sequence[EntityKind]) -> IdentityMap:
        # The run's engine keeps its map up to date with the planned outcomes itself.
        return await self._ledger.identities(kinds)

    async def is_empty(self) -> bool:
        return await self._ledger.is_empty()

    async def entries(self, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        entries = await self._ledger.entries(keys)
        planned = self._planned
        entries.update({k: planned[k.ledger_key] for k in keys if k.ledger_key in planned})
        return entries

    async def field_digests(self, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
        return await self._ledger.field_digests(keys)

    async def save(
        self,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        for outcome in outcomes:
            if outcome.protocol_outcome is None:
                # The engine's write-ahead mark (the outcome follows), or an outcome restated
                # for its new input digest (nothing changes).
                continue
            before = known.get(outcome.key.ledger_key)
            was_sent = before is not None and before.state == "sent"
            action: PlanAction
            if outcome.state == "sent":
                action = "update" if was_sent else "create"
            elif outcome.state == "deleted" or (outcome.state == "excluded" and was_sent):
                action = "delete"
            elif outcome.state == "excluded":
                action = "exclude"
            else:
                continue  # the planning portal never fails
            self.actions.append(action)
            if len(self._listed) < self._limit:
                self._listed.append(
                    (outcome.key, action, outcome.reason_code, outcome.field_digests)
                )
            self._planned[outcome.key.ledger_key] = LedgerEntry(
                id=0,
                fingerprint=outcome.fingerprint,
                state=outcome.state,
                casavi_id=outcome.casavi_id,
                reason_code=outcome.reason_code,
                input_digest=outcome.input_digest,
            )

    async def items(self) -> list[PlanItem]:
        updates = [key for key, action, _, _ in self._listed if action == "update"]
        digests = await self._ledger.field_digests(updates) if updates else {}
        return [
            PlanItem(
                key=key,
                action=action,
                fields=(
                    changed_fields(digests.get(key), after)
                    if action == "update" and after is not None
                    else None
                ),
                reason_code=reason if action in ("delete", "exclude") else None,
            )
            for key, action, reason, after in self._listed
        ]


class PlanningPortal:
    """A portal that sends nothing: casavi's id is the one the map has, or our own
    reference id (what a create would make)."""

    def prepare(self, key: RecordKey, record: PortalRecord, ids: IdentityMap) -> PortalWrite:
        casavi_id = ids.casavi_id(key)

        async def write(presence: Presence) -> str:
            return casavi_id

        return write

    async def remove(self, key: RecordKey, *, ids: IdentityMap) -> None:
        return None

    async def verify(self) -> None:
        return None

    async def is_empty(self) -> bool:
        return True


class _NoStates:
    async def save(self, states: Sequence[PortalStatus]) -> None:
        return None

    async def one(self, ticket: TicketNumber) -> TicketPortalView | None:
        return None

    async def many(self, numbers: Sequence[str]) -> list[TicketPortalView]:
        return []
