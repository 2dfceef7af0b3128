"""Outbound stages (iX-Haus -> casavi): decide every record, send only what changed.

For each entity kind, in dependency order (objects before units before persons and tickets):
load the ledger, stream the decisions, and per record compare the fingerprint of the
canonical portal record with what was last sent. Only new or changed records are written to
casavi; records that turned into a deletion (or that left the eligible set after being sent)
are removed. Every change of state is written to the ledger and the protocol in batches, so a
run's cost grows with the number of changes, not with the portfolio.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.fingerprint import fingerprint
from app.domain.keys import EntityKind, RecordKey
from app.domain.reasons import text
from app.sync.ports import (
    Ledger,
    LedgerEntry,
    LinkState,
    Outcome,
    Portal,
    PortalStates,
    PortalStatus,
)

log = logging.getLogger(__name__)

BATCH = 500

# Called after a record was sent, with its ledger entry from before (tickets: base, S2).
AfterSend = Callable[[Transfer[Any], LedgerEntry | None], Awaitable[None]]


class StageCounts(msgspec.Struct):
    sent: int = 0
    removed: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0


async def run_stage(
    kind: EntityKind,
    decisions: AsyncIterator[Decision[Any]],
    *,
    system: str,
    run_id: int | None,
    ledger: Ledger,
    portal: Portal,
    known: dict[RecordKey, LedgerEntry] | None = None,
    portal_states: PortalStates | None = None,
    after_send: AfterSend | None = None,
) -> StageCounts:
    """Process one entity kind; with ``portal_states`` (tickets) also record rule S1."""
    known = await ledger.load(system, kind) if known is None else known
    counts = StageCounts()
    outcomes: list[Outcome] = []
    statuses: list[PortalStatus] = []

    async def flush() -> None:
        await ledger.save(system, kind, outcomes, known, run_id=run_id)
        if portal_states is not None:
            await portal_states.save(system, statuses)
        outcomes.clear()
        statuses.clear()

    async for decision in decisions:
        entry = known.get(decision.key)
        outcome = await _apply(decision, entry, portal, counts)
        if outcome is None:
            continue
        if after_send is not None and outcome.state == "sent" and isinstance(decision, Transfer):
            await after_send(decision, entry)
        outcomes.append(outcome)
        if portal_states is not None:
            statuses.append(ticket_portal_status(decision))
        if len(outcomes) >= BATCH:
            await flush()
    await flush()
    return counts


async def _apply(
    decision: Decision[Any],
    entry: LedgerEntry | None,
    portal: Portal,
    counts: StageCounts,
) -> Outcome | None:
    """Act on one decision; return the ledger outcome, or None when nothing changed."""
    key = decision.key
    was_sent = entry is not None and entry.state == "sent"
    try:
        if isinstance(decision, Transfer):
            digest = fingerprint(decision.record)
            if was_sent and entry is not None and entry.fingerprint == digest:
                counts.unchanged += 1
                return None
            known = entry is not None and entry.casavi_id is not None
            casavi_id = await portal.put(
                key, decision.record, exists=known, casavi_id=entry.casavi_id if entry else None
            )
            counts.sent += 1
            note = decision.note.value if decision.note else None
            return Outcome(
                key=key, state="sent", fingerprint=digest, casavi_id=casavi_id, reason_code=note
            )
        reason = decision.reason.value
        if isinstance(decision, Delete) or was_sent:
            # Rules P3, D2, T5 - and a record that left the eligible set after being sent.
            if not was_sent:
                counts.excluded += 1
                return _unless_same(entry, Outcome(key=key, state="excluded", reason_code=reason))
            await portal.remove(key, casavi_id=entry.casavi_id if entry else None)
            counts.removed += 1
            state: LinkState = "deleted" if isinstance(decision, Delete) else "excluded"
            return Outcome(
                key=key,
                state=state,
                reason_code=reason,
                casavi_id=entry.casavi_id if entry else None,
            )
        counts.excluded += 1
        assert isinstance(decision, Exclude)
        return _unless_same(entry, Outcome(key=key, state="excluded", reason_code=reason))
    except Exception as exc:  # one record's failure never stops the run (rule L3)
        counts.errors += 1
        log.warning("%s failed: %s", key.ledger_key, type(exc).__name__)
        return Outcome(
            key=key,
            state="error",
            error=_describe(exc),
            fingerprint=None,
            casavi_id=entry.casavi_id if entry else None,
        )


def _unless_same(entry: LedgerEntry | None, outcome: Outcome) -> Outcome | None:
    if (
        entry is not None
        and entry.state == outcome.state
        and entry.reason_code == outcome.reason_code
    ):
        return None
    return outcome


def _describe(exc: Exception) -> str:
    # Adapter errors carry method, path, status and a truncated body - never secrets.
    body = getattr(exc, "body", "")
    return f"{type(exc).__name__}: {exc}{f': {body}' if body else ''}"[:1000]


def ticket_portal_status(decision: Decision[Any]) -> PortalStatus:
    """Rule S1: the 'service portal' field of a ticket."""
    number = decision.key.number
    if isinstance(decision, Transfer):
        status = "closed" if decision.record.closed else "open"
        return PortalStatus(ticket_number=number, transferred=True, portal_status=status)
    return PortalStatus(
        ticket_number=number,
        transferred=False,
        reason_code=decision.reason.value,
        reason_text=text(decision.reason, "de"),
    )
