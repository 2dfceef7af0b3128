"""Rule S1: the 'service portal' field of a ticket, from its decision and what came of it."""

from __future__ import annotations

from typing import Any

from app.domain.decisions import Decision, Transfer
from app.domain.reasons import text
from app.sync.ports import Outcome, PortalStatus

# Not a rule's reason (``Reason``): the ticket was to be sent and casavi did not take it. The
# ledger and the protocol hold the error; the next run (or trigger) tries again.
SEND_FAILED = "send_failed"
SEND_FAILED_TEXT = (
    "Die Übertragung an das Serviceportal ist fehlgeschlagen; sie wird wiederholt "
    "(der Fehler steht im Protokoll)."
)


def ticket_portal_status(decision: Decision[Any], outcome: Outcome) -> PortalStatus:
    """Transferred (with the portal status) or the reason it is not. A send that failed says
    so: the ticket is transferred only if casavi still holds an earlier version of it."""
    number = decision.key.number
    if outcome.state == "error":
        return PortalStatus(
            ticket_number=number,
            transferred=outcome.casavi_id is not None,
            reason_code=SEND_FAILED,
            reason_text=SEND_FAILED_TEXT,
        )
    if isinstance(decision, Transfer):
        status = "closed" if decision.record.closed else "open"
        return PortalStatus(ticket_number=number, transferred=True, portal_status=status)
    return PortalStatus(
        ticket_number=number,
        transferred=False,
        reason_code=decision.reason.value,
        reason_text=text(decision.reason, "de"),
    )
