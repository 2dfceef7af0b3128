"""The entity ledger: what was last sent to casavi for each iX-Haus record, and the outcome.

A run loads one entity type's entries once (key -> fingerprint, state, casavi id: a few
dozen bytes each), decides every record, and writes back only what changed, in bulk. That is
what lets a run with nothing changed send nothing and write nothing.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import EntityLink, ProtocolEntry, TicketPortalState

LinkState = str  # "sent" | "deleted" | "excluded" | "error"


class LedgerEntry(msgspec.Struct, frozen=True):
    id: int
    fingerprint: str | None
    state: LinkState
    casavi_id: str | None
    reason_code: str | None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What happened to one record in this run (only records whose state changed)."""

    key: str
    state: LinkState
    fingerprint: str | None = None
    casavi_id: str | None = None
    reason_code: str | None = None
    error: str | None = None


class PortalStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Rule S1 for one ticket: transferred (with portal status) or the reason it is not."""

    ticket_number: str
    transferred: bool
    portal_status: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None


class Ledger:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def load(self, system: str, entity_type: str) -> dict[str, LedgerEntry]:
        link = EntityLink
        query = select(
            link.ixhaus_key, link.id, link.fingerprint, link.state, link.casavi_id, link.reason_code
        ).where(link.system == system, link.entity_type == entity_type)
        async with self._sessions() as session:
            rows = await session.execute(query)
            return {row[0]: LedgerEntry(*row[1:]) for row in rows}

    async def save(
        self,
        system: str,
        entity_type: str,
        outcomes: list[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        """Write the outcomes of one batch and their protocol entries (rule L3) in one commit."""
        if not outcomes:
            return
        now = utcnow()
        new, changed = [], []
        for outcome in outcomes:
            values = {
                "fingerprint": outcome.fingerprint,
                "state": outcome.state,
                "casavi_id": outcome.casavi_id,
                "reason_code": outcome.reason_code,
                "last_error": outcome.error[:1000] if outcome.error else None,
                "updated_at": now,
            }
            entry = known.get(outcome.key)
            if entry is None:
                new.append(
                    {
                        "system": system,
                        "entity_type": entity_type,
                        "ixhaus_key": outcome.key,
                        "attempts": 1,
                        "created_at": now,
                        **values,
                    }
                )
            else:
                changed.append({"id": entry.id, **values})
        protocol = [
            {
                "run_id": run_id,
                "system": system,
                "entity_type": entity_type,
                "entity_key": o.key,
                "outcome": o.state,
                "reason_code": o.reason_code,
                "message": o.error[:1000] if o.error else None,
                "created_at": now,
            }
            for o in outcomes
        ]
        async with self._sessions() as session:
            if new:
                await session.execute(insert(EntityLink), new)
            if changed:
                await session.execute(update(EntityLink), changed)
            await session.execute(insert(ProtocolEntry), protocol)
            await session.commit()

    async def save_ticket_states(self, system: str, states: list[PortalStatus]) -> None:
        """Rule S1: store each ticket's portal field (transferred + status, or the reason)."""
        if not states:
            return
        numbers = [s.ticket_number for s in states]
        now = utcnow()
        async with self._sessions() as session:
            existing = set(
                await session.scalars(
                    select(TicketPortalState.ticket_number).where(
                        TicketPortalState.system == system,
                        TicketPortalState.ticket_number.in_(numbers),
                    )
                )
            )
            rows = [
                {"system": system, **msgspec.structs.asdict(s), "updated_at": now} for s in states
            ]
            inserts = [r for r in rows if r["ticket_number"] not in existing]
            updates = [r for r in rows if r["ticket_number"] in existing]
            if inserts:
                await session.execute(insert(TicketPortalState), inserts)
            if updates:
                await session.execute(update(TicketPortalState), updates)
            await session.commit()
