"""The outbound sync (iX-Haus -> casavi): decide every record, send only what changed.

For each entity type, in dependency order (objects before units before persons and tickets):
load the ledger, stream the decisions, and per record compare the fingerprint of the
canonical portal record with what was last sent. Only new or changed records are written to
casavi; records that turned into a deletion (or that left the eligible set after being sent)
are removed. Every change of state is written to the ledger and the protocol in batches, so a
run's cost grows with the number of changes, not with the portfolio.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from app.adapters.store.ledger import Ledger, LedgerEntry, Outcome, PortalStatus
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.fingerprint import fingerprint
from app.domain.reasons import text
from app.sync.ports import PortalWriter

log = logging.getLogger(__name__)

BATCH = 500


class StageCounts(msgspec.Struct):
    sent: int = 0
    removed: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0


async def run_stage(
    entity: str,
    decisions: AsyncIterator[Decision[Any]],
    *,
    system: str,
    run_id: int | None,
    ledger: Ledger,
    writer: PortalWriter,
    known: dict[str, LedgerEntry] | None = None,
    portal_status: Callable[[Decision[Any]], PortalStatus] | None = None,
) -> StageCounts:
    """Process one entity type; ``portal_status`` (tickets) also records rule S1 per record."""
    known = await ledger.load(system, entity) if known is None else known
    counts = StageCounts()
    outcomes: list[Outcome] = []
    statuses: list[PortalStatus] = []

    async def flush() -> None:
        await ledger.save(system, entity, outcomes, known, run_id=run_id)
        await ledger.save_ticket_states(system, statuses)
        outcomes.clear()
        statuses.clear()

    async for decision in decisions:
        outcome = await _apply(entity, decision, known.get(decision.key), writer, counts)
        if outcome is None:
            continue
        outcomes.append(outcome)
        if portal_status is not None:
            statuses.append(portal_status(decision))
        if len(outcomes) >= BATCH:
            await flush()
    await flush()
    return counts


async def _apply(
    entity: str,
    decision: Decision[Any],
    entry: LedgerEntry | None,
    writer: PortalWriter,
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
            casavi_id = await writer.put(entity, key, decision.record, exists=known)
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
            await writer.remove(entity, key)
            counts.removed += 1
            state = "deleted" if isinstance(decision, Delete) else "excluded"
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
        log.warning("%s %s failed: %s", entity, key, type(exc).__name__)
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
    number = decision.key.removeprefix("ticket:")
    if isinstance(decision, Transfer):
        status = "closed" if decision.record.closed else "open"
        return PortalStatus(ticket_number=number, transferred=True, portal_status=status)
    return PortalStatus(
        ticket_number=number,
        transferred=False,
        reason_code=decision.reason.value,
        reason_text=text(decision.reason, "de"),
    )
