"""Endpoints outside the contract, under ``/_sandbox``: faults, stats, webhooks."""

from __future__ import annotations

import httpx
import msgspec
from litestar import get, post, put
from litestar.handlers import BaseRouteHandler
from litestar.response import Response

from app.adapters.docuware.webhook import SIGNATURE_HEADER, sign
from app.sandbox.docuware.common import AnyRequest, SimError, json_response, sim_of
from app.sandbox.docuware.state import DocuwareSim, Faults, WebhookSettings


class FireWebhook(msgspec.Struct, kw_only=True, rename="camel"):
    document_id: int


def webhook_body(sim: DocuwareSim, document_id: int) -> bytes:
    """DocuWare's default body: the document's index fields by DB name, minimised JSON."""
    document = sim.documents.get(document_id)
    if document is None:
        raise SimError(404, f"Document {document_id} not found.")
    payload: dict[str, object] = {
        **document.fields,
        "DWDOCID": document.id,
        "DWEXTENSION": ".pdf",
    }
    return msgspec.json.encode(payload)


@get("/_sandbox/faults", sync_to_thread=False)
def get_faults(request: AnyRequest) -> Response[bytes]:
    return json_response(sim_of(request).faults)


@put("/_sandbox/faults", status_code=200)
async def put_faults(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    sim.faults = msgspec.json.decode(await request.body(), type=Faults)
    return json_response(sim.faults)


@get("/_sandbox/stats", sync_to_thread=False)
def get_stats(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    return json_response({**sim.stats.as_dict(), "liveSessions": sim.live_sessions()})


@put("/_sandbox/webhook", status_code=200)
async def put_webhook(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    sim.webhook = msgspec.json.decode(await request.body(), type=WebhookSettings)
    return json_response({"url": sim.webhook.url})


@post("/_sandbox/webhook/fire", status_code=200)
async def fire_webhook(request: AnyRequest) -> Response[bytes]:
    """Send one signed "document stored" notification now; answers the receiver's status."""
    sim = sim_of(request)
    fire = msgspec.json.decode(await request.body(), type=FireWebhook)
    if not sim.webhook.url or not sim.webhook.secret:
        raise SimError(409, "no webhook configured")
    body = webhook_body(sim, fire.document_id)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(sim.webhook.secret.encode(), body),
    }
    async with httpx.AsyncClient(timeout=10.0) as client:
        answer = await client.post(sim.webhook.url, content=body, headers=headers)
    sim.stats.webhooks_sent += 1
    return json_response({"status": answer.status_code})


def control_handlers() -> list[BaseRouteHandler]:
    return [get_faults, put_faults, get_stats, put_webhook, fire_webhook]
