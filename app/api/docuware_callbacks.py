"""DocuWare's webhook: a new or changed document reaches the portal without waiting for a run.

DocuWare (7.5+) posts the document's index fields when a document is stored or its index data
change, signed with ``x-docuware-signature`` (HMAC-SHA512 over the body, keyed with the
organisation's passphrase; we store it as the system secret ``docuwareWebhookSecret``, apart
from casavi's ``callbackSecret``). The signature is checked before the body is even parsed:
missing or forged -> 401, malformed body -> 400. An accepted notification is processed at once
through the same document flow as a run (rules, ledger, protocol) and answered 202; whatever
fails there is recorded as the document's error, and the next run is the safety net.

DocuWare cannot send our API key, so this route sits outside the API-key guard: the signature
is its authentication.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.params import PathParameter

from app.adapters.docuware.webhook import (
    SIGNATURE_HEADER,
    decode_notification,
    verify_docuware_signature,
)
from app.api.deps import DbSession, ServicesDep
from app.api.problems import problem_responses
from app.api.schemas import System
from app.configuration.service import ConfigService
from app.errors import DependencyUnavailable, GatewayError, Unauthenticated
from app.sync.outbound.documents import send_docuware_document

log = logging.getLogger(__name__)


class MalformedNotification(GatewayError):
    status = 400
    code = "malformed-notification"
    title = "The notification body is not DocuWare's"


class DocuwareNotificationResult(msgspec.Struct, rename="camel", kw_only=True):
    """What became of the notified document (its protocol entry has the details)."""

    document_id: int
    sent: int
    unchanged: int
    excluded: int
    errors: int


@post(
    "/systems/{system:str}/callbacks/docuware",
    status_code=202,
    summary="DocuWare webhook: send the stored or changed document now",
    tags=["callbacks"],
    security=[{}],
    responses=problem_responses(400, 401, 409, 503),
)
async def docuware_webhook(
    request: Request[Any, Any, Any],
    state: State,
    db_session: DbSession,
    services: ServicesDep,
    system: Annotated[System, PathParameter(description="production or test (rule C1)")],
) -> Response[DocuwareNotificationResult]:
    body = await request.body()
    secret = await ConfigService(db_session, state.secret_box).secret(
        system, "docuwareWebhookSecret"
    )
    await db_session.close()  # the flow below uses its own sessions; hold no connection
    signature = request.headers.get(SIGNATURE_HEADER)
    if not secret or not verify_docuware_signature(secret.encode(), body, signature):
        raise Unauthenticated("missing or invalid x-docuware-signature")
    try:
        notification = decode_notification(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MalformedNotification(f"not a DocuWare notification: {exc}") from None
    try:
        async with services.contexts.use(system) as ctx:
            counts = await send_docuware_document(
                ctx,
                ledger=services.ledger,
                document_id=notification.document_id,
                now=services.clock(),
            )
    except GatewayError:
        raise  # its own status: 409 switched off, 502/503 DocuWare, 404 no such document
    except Exception as exc:  # never a 500 to DocuWare: it may retry, and the run will too
        log.exception("DocuWare notification for %s failed", system)
        raise DependencyUnavailable(
            f"the document could not be processed now ({type(exc).__name__})"
        ) from None
    result = DocuwareNotificationResult(
        document_id=notification.document_id,
        sent=counts.sent + counts.removed,
        unchanged=counts.unchanged,
        excluded=counts.excluded,
        errors=counts.errors,
    )
    return Response(result, status_code=202)
