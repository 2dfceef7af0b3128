"""Job functions, shared by the arq worker and the in-process queue.

``ctx["services"]`` carries what the composition root built (``app.sync.services``). Jobs
take ids, never records; each calls one flow, and every job is safe to run twice.
"""

from __future__ import annotations

from typing import Any

from app.sync.docuware_notifications import DOCUWARE_DOCUMENT_JOB, send_notified_document
from app.sync.inbound.process import DEFAULT_LEASE_SECONDS, INBOUND_JOB, process_ticket
from app.sync.outbound.notes import TwoWay
from app.sync.queue import JobFunction
from app.sync.runs import RUN_SYNC_JOB, execute_run
from app.sync.services import Services


async def run_sync(ctx: dict[str, Any], run_id: int) -> str:
    services: Services = ctx["services"]
    return await execute_run(
        runs=services.runs,
        contexts=services.contexts,
        ledger=services.ledger,
        portal_states=services.portal_states,
        clock=services.clock,
        run_id=run_id,
        queue=services.queue,
        policy=services.policy,
        two_way=TwoWay.of(services),
    )


async def inbound_ticket(ctx: dict[str, Any], system: str, ticket_ref: str) -> int:
    """Apply one casavi ticket's pending inbox events (safe to run twice, or at once)."""
    services: Services = ctx["services"]
    settings = ctx.get("settings")
    lease = getattr(settings, "inbound_lease_seconds", DEFAULT_LEASE_SECONDS)
    return await process_ticket(services, system, ticket_ref, lease_seconds=lease)


async def docuware_document(ctx: dict[str, Any], system: str, document_id: int) -> str:
    """Send the document a DocuWare webhook named (safe to run twice: the ledger decides)."""
    services: Services = ctx["services"]
    counts = await send_notified_document(services, system, document_id)
    return "not sent" if counts is None else f"errors={counts.errors}"


JOB_FUNCTIONS: dict[str, JobFunction] = {
    RUN_SYNC_JOB: run_sync,
    INBOUND_JOB: inbound_ticket,
    DOCUWARE_DOCUMENT_JOB: docuware_document,
}
