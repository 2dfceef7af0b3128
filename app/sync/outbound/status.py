"""Rule S1: the 'service portal' field of a ticket, from its decision."""

from __future__ import annotations

from typing import Any

from app.domain.decisions import Decision, Transfer
from app.domain.reasons import text
from app.sync.ports import PortalStatus


def ticket_portal_status(decision: Decision[Any]) -> PortalStatus:
    """Transferred (with the portal status) or the reason it is not."""
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
