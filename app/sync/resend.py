"""Re-send one record now (an operator suspects casavi is out of step with iX-Haus).

The record is read and decided exactly as a run would (``run.run_outbound`` limited to its
kind and key) and sent even when the ledger says casavi already has it; a record the rules
now exclude or delete is removed from casavi as in a run. The ledger, the protocol (L3,
without a run) and - for a ticket - S1 and its conflict base are written as in a run.
Public notes have their own trigger (``tickets.push_note``); documents are sent by runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from app.domain.keys import EntityKind, InvalidKey, RecordKey
from app.domain.reasons import Reason
from app.errors import Conflict, InvalidInput, NotFound
from app.sync.context import SystemContext
from app.sync.outbound.plan import PLANNED_KINDS
from app.sync.outbound.run import Scope, run_outbound
from app.sync.tickets import raise_failure

ResendOutcome = Literal["sent", "removed", "excluded"]
RESENDABLE: tuple[EntityKind, ...] = PLANNED_KINDS


class ResendResult(msgspec.Struct, frozen=True, kw_only=True):
    key: RecordKey
    outcome: ResendOutcome
    reason: Reason | None = None
    casavi_id: str | None = None


def record_key(entity_key: str) -> RecordKey:
    """The record an operator names by its protocol key (``unit:1001/01``)."""
    try:
        key = RecordKey.parse(entity_key)
    except (InvalidKey, ValueError):
        raise InvalidInput(
            f"{entity_key!r} is not a record key such as 'unit:1001/01' or 'ticket:42'.",
            errors=[("entityKey", "not a record key")],
        ) from None
    if key.kind not in RESENDABLE:
        kinds = ", ".join(kind.value for kind in RESENDABLE)
        raise InvalidInput(
            f"{key.kind.value} records cannot be re-sent here (kinds: {kinds}; a note has "
            "its own trigger, documents go with the runs).",
            errors=[("entityKey", f"{key.kind.value} cannot be re-sent")],
        )
    return key


async def resend(ctx: SystemContext, key: RecordKey, *, now: datetime) -> ResendResult:
    """Send ``key`` of the context's system now; what was done, or ``NotFound`` when iX-Haus
    has no such record in the interface's scope (object range, types)."""
    report = await run_outbound(ctx, run_id=None, now=now, scope=Scope(record=key))
    entry = (await ctx.stores.ledger.entries([key])).get(key)
    raise_failure(report.engine)
    counts = report.tally
    reason = _reason(entry.reason_code if entry is not None else None)
    if counts.sent:
        return ResendResult(key=key, outcome="sent", casavi_id=entry.casavi_id if entry else None)
    if counts.removed:
        return ResendResult(key=key, outcome="removed", reason=reason)
    if counts.excluded or counts.still_excluded:
        return ResendResult(key=key, outcome="excluded", reason=reason)
    if counts.waiting:  # a removal waits for the retry; a record for its parent
        raise Conflict(
            f"{key.ledger_key} waits: it failed before and is retried once its backoff has "
            "passed, or a record it refers to is not settled in casavi yet; see the ledger."
        )
    raise NotFound(
        f"iX-Haus has no {key.kind.value} {key.ledger_key} within this system's scope "
        "(object range, person, ticket and document types)."
    )


def _reason(code: str | None) -> Reason | None:
    try:
        return Reason(code) if code else None
    except ValueError:
        return None
