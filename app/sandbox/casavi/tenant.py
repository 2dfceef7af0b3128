"""Sandbox endpoints (outside the casavi contract) that play the tenant's side and the
simulator's controls: faults, the callback target and counters.

Every tenant action fires a signed callback, as casavi would.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec
from litestar import Response, get, patch, post, put
from litestar.handlers import HTTPRouteHandler

from app.adapters.casavi import wire_tickets as tw
from app.adapters.casavi.wire import NonEmpty, RefId
from app.sandbox.casavi.common import (
    AnyRequest,
    SimError,
    decode_body,
    json_response,
    ref,
    require,
    sim_of,
)
from app.sandbox.casavi.dispatcher import CallbackDispatcher
from app.sandbox.casavi.documents import file_of, store_document
from app.sandbox.casavi.state import CallbackSettings, Faults
from app.sandbox.casavi.tickets import change_ticket, new_message, new_ticket

PREFIX = "/_sandbox"


class TenantTicket(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    property_id: RefId
    ticket_type_id: RefId
    subject: NonEmpty
    unit_id: RefId | None = None
    description: str | None = None


class TenantMessage(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    content: NonEmpty


class TenantChange(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    subject: NonEmpty | None = None
    description: str | None = None
    status_id: RefId | None = None


def _dispatcher(request: AnyRequest) -> CallbackDispatcher:
    dispatcher: CallbackDispatcher = request.app.state["dispatcher"]
    return dispatcher


def _new_ref() -> str:
    # Tenant-made records get casavi-generated reference ids.
    return f"cv-{uuid.uuid4().hex[:12]}"


@post(f"{PREFIX}/tenant/tickets", status_code=201)
async def tenant_creates_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    body = await decode_body(request, TenantTicket)
    require(sim, "contacts", body.contact_id, "contactId")
    ticket_type = sim.store.get("ticket-types", body.ticket_type_id)
    if ticket_type is not None and not ticket_type["tenantCreatable"]:
        raise SimError(422, "tenants cannot create tickets of this type (rule T6)")
    create = tw.TicketCreate(
        id=_new_ref(),
        ticket_type_id=body.ticket_type_id,
        subject=body.subject,
        property_id=body.property_id,
        unit_id=body.unit_id,
        description=body.description,
        reporter_contact_id=body.contact_id,
    )
    record = new_ticket(sim, create, "tenant")
    _dispatcher(request).emit("ticket.created", tw.CallbackData(ticket_id=record["id"]))
    return json_response(record, 201)


def _ticket_id(request: AnyRequest) -> str:
    ticket_id = ref(request.path_params["ticketId"])
    if sim_of(request).store.get("tickets", ticket_id) is None:
        raise SimError(404, "ticket not found")
    return ticket_id


@post(f"{PREFIX}/tenant/tickets/{{ticketId:str}}/messages", status_code=201)
async def tenant_writes_message(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    body = await decode_body(request, TenantMessage)
    require(sim, "contacts", body.contact_id, "contactId")
    create = tw.TicketMessageCreate(
        id=_new_ref(), author_id=body.contact_id, visibility="public", content=body.content
    )
    record = new_message(sim, ticket_id, create, "contact")
    data = tw.CallbackData(ticket_id=ticket_id, message_id=record["id"])
    _dispatcher(request).emit("ticket.message.created", data)
    return json_response(record, 201)


@post(f"{PREFIX}/tenant/tickets/{{ticketId:str}}/attachments", status_code=201)
async def tenant_uploads_attachment(request: AnyRequest) -> Response[bytes]:
    """Raw body = the file; ``?fileName=...`` names it."""
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    file_name = request.query_params.get("fileName") or "attachment.bin"
    content = await request.body()
    meta = tw.DocumentWrite(
        id=_new_ref(),
        name=file_name,
        file_name=file_name,
        content_type=request.headers.get("content-type", "application/octet-stream"),
        ticket_id=ticket_id,
    )
    record = store_document(sim, meta, len(content), hashlib.sha256(content).hexdigest(), "tenant")
    file_of(sim, record).write_bytes(content)
    data = tw.CallbackData(ticket_id=ticket_id, document_id=record["id"])
    _dispatcher(request).emit("ticket.attachment.created", data)
    return json_response(record, 201)


@patch(f"{PREFIX}/tenant/tickets/{{ticketId:str}}")
async def tenant_changes_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    body = await decode_body(request, TenantChange)
    changes: dict[str, Any] = {k: v for k, v in msgspec.to_builtins(body).items() if v is not None}
    if not changes:
        raise SimError(422, "no field to change")
    record = change_ticket(sim, ticket_id, changes)
    data = tw.CallbackData(ticket_id=ticket_id, changed_fields=sorted(changes))
    _dispatcher(request).emit("ticket.updated", data)
    return json_response(record)


@get(f"{PREFIX}/faults")
async def get_faults(request: AnyRequest) -> Response[bytes]:
    return json_response(sim_of(request).faults)


@put(f"{PREFIX}/faults")
async def put_faults(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    faults = await decode_body(request, Faults)
    if faults.expire_tokens:
        sim.store.revoke_tokens()
        faults.expire_tokens = False
    sim.faults = faults
    return json_response(faults)


@put(f"{PREFIX}/callbacks")
async def put_callbacks(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    sim.callbacks = await decode_body(request, CallbackSettings)
    return json_response(
        {"url": sim.callbacks.url, "secret": "***" if sim.callbacks.secret else None}
    )


@get(f"{PREFIX}/stats")
async def get_stats(request: AnyRequest) -> Response[bytes]:
    return json_response(sim_of(request).stats.as_dict())


def sandbox_handlers() -> list[HTTPRouteHandler]:
    return [
        tenant_creates_ticket,
        tenant_writes_message,
        tenant_uploads_attachment,
        tenant_changes_ticket,
        get_faults,
        put_faults,
        put_callbacks,
        get_stats,
    ]
