"""DocuWare's webhook: a new or changed document reaches the portal without waiting for a run.

DocuWare (7.5+) posts the document's index fields when a document is stored or its index data
change, signed with ``x-docuware-signature`` (HMAC-SHA512 over the body, keyed with the
organisation's passphrase; we store it as the system secret ``docuwareWebhookSecret``, apart
from casavi's ``callbackSecret``).

Verified first, on the raw bytes (issue 23 items 6 and 7): missing or forged -> 401 before the
body is even parsed, in constant time and without Python work per byte; malformed -> 400; a
switched-off system or one without DocuWare -> 409. An accepted notification is queued as a
job (``app.sync.docuware_notifications``: the fetch from DocuWare and the upload to casavi,
through the same rules, ledger and protocol as a run) and answered 202 at once; when the job
cannot be queued (Redis down) the answer is 503 and DocuWare sends it again. The next run is
the safety net either way.

DocuWare cannot send our API key, so this route sits outside the API-key guard: the signature
is its authentication.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.params import PathParameter

from app.adapters.docuware.webhook import (
    SIGNATURE_HEADER,
    decode_notification,
    verify_docuware_signature,
)
from app.api.deps import ServicesDep
from app.api.problems import problem_responses
from app.api.schemas import System
from app.errors import DependencyUnavailable, GatewayError, SyncNotPossible, Unauthenticated
from app.sync.docuware_notifications import DOCUWARE_DOCUMENT_JOB, notification_job_id

log = logging.getLogger(__name__)


class MalformedNotification(GatewayError):
    status = 400
    code = "malformed-notification"
    title = "The notification body is not DocuWare's"


class DocuwareNotificationAccepted(msgspec.Struct, rename="camel", kw_only=True):
    """The notified document is queued (``duplicate``: this notification was queued before
    and is not done yet); the protocol shows what became of it."""

    document_id: int
    duplicate: bool


@post(
    "/systems/{system:str}/callbacks/docuware",
    status_code=202,
    summary="DocuWare webhook: queue the stored or changed document for sending now",
    tags=["callbacks"],
    security=[{}],
    responses=problem_responses(400, 401, 409, 503),
)
async def docuware_webhook(
    request: Request[Any, Any, Any],
    services: ServicesDep,
    system: Annotated[System, PathParameter(description="production or test (rule C1)")],
) -> Response[DocuwareNotificationAccepted]:
    body = await request.body()
    config = services.configs
    secret = await config.secret(system, "docuwareWebhookSecret")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not secret or not verify_docuware_signature(secret.encode(), body, signature):
        raise Unauthenticated("missing or invalid x-docuware-signature")
    try:
        notification = decode_notification(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedNotification(f"not a DocuWare notification: {exc}") from None
    document = await config.document(system)
    if not document.active:
        raise SyncNotPossible("The interface of this system is switched off (rule C12).")
    if document.support.no_docuware_sync or not document.docuware.file_cabinet_id:
        raise SyncNotPossible(
            "DocuWare is not configured for this system, or switched off (rule C13)."
        )
    job_id = notification_job_id(system, notification.document_id, body)
    try:
        queued = await services.queue.enqueue(
            DOCUWARE_DOCUMENT_JOB, system, notification.document_id, job_id=job_id
        )
    except Exception as exc:  # Redis down: DocuWare sends it again; the run is the net
        log.warning("DocuWare notification for %s not queued: %s", system, type(exc).__name__)
        raise DependencyUnavailable("the notification cannot be queued now") from None
    accepted = DocuwareNotificationAccepted(
        document_id=notification.document_id, duplicate=not queued
    )
    return Response(accepted, status_code=202)
