"""A DocuWare webhook's document, sent by a job (issue 23 item 6).

The webhook only verifies, queues this job and answers 202 at once; the fetch from DocuWare
and the upload to casavi happen here, through the same rules, ledger and protocol as a run
(``app.sync.outbound.documents.send_docuware_document``). Safe to run twice, or at once with
a run: the ledger knows what casavi has, so a second pass finds the document unchanged.
Whatever fails is the document's error in the protocol (or a warning here when the system
cannot work at all); the next run is the safety net.
"""

from __future__ import annotations

import hashlib
import logging

from app.errors import GatewayError
from app.sync.outbound.documents import send_docuware_document
from app.sync.outbound.outcomes import Tally
from app.sync.services import Services

log = logging.getLogger(__name__)

DOCUWARE_DOCUMENT_JOB = "docuware_document"


def notification_job_id(system: str, document_id: int, body: bytes) -> str:
    """One job per notification: DocuWare sending the same body again is the same job; a
    later change of the document (a new body) is a new one."""
    digest = hashlib.sha256(body).hexdigest()[:32]
    return f"docuware:{system}:{document_id}:{digest}"


async def send_notified_document(services: Services, system: str, document_id: int) -> Tally | None:
    """Send DocuWare's document ``document_id`` of ``system`` now; its counts, or None when
    the system cannot send it (switched off, DocuWare not configured or unreachable...)."""
    try:
        async with services.contexts.use(system) as ctx:
            return await send_docuware_document(ctx, document_id=document_id, now=services.clock())
    except GatewayError as exc:
        # Not a bug, and nothing to retry here: the next run meets the document again.
        log.warning(
            "DocuWare document %d of %s not sent now (%s): %s",
            document_id,
            system,
            type(exc).__name__,
            exc.detail,
        )
        return None
