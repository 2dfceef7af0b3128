"""Sandbox endpoints (outside the casavi contract) for people acting inside casavi: tenants
in the portal and casavi staff in casavi's web app.

Every action fires a signed callback, as casavi would. A tenant who acts has a portal
account, so the contact becomes registered (and invited).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Response, get, patch, post
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
from app.sandbox.casavi.controls import PREFIX, set_portal_state
from app.sandbox.casavi.dispatcher import CallbackDispatcher
from app.sandbox.casavi.documents import file_of, store_document
from app.sandbox.casavi.state import Simulator
from app.sandbox.casavi.store import now_utc
from app.sandbox.casavi.tickets import change_ticket, new_message, new_ticket


class TenantTicket(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    property_id: RefId
    ticket_type_id: RefId
    subject: NonEmpty
    unit_id: RefId | None = None
    description: str | None = None
    fields: dict[str, tw.FieldValue] = {}  # the ticket type's form, by field id


class TenantMessage(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    content: NonEmpty
    document_ids: list[RefId] = []  # attachments of this ticket sent with the message


class TenantChange(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    subject: NonEmpty | None = None
    description: str | None = None
    status_id: RefId | None = None


class TenantRating(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    stars: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: str | None = None


class StaffNote(msgspec.Struct, kw_only=True, rename="camel"):
    """A message written by casavi staff in casavi's web app (not through the API)."""

    staff_id: RefId
    content: NonEmpty
    visibility: tw.Visibility = "internal"


def _dispatcher(request: AnyRequest) -> CallbackDispatcher:
    dispatcher: CallbackDispatcher = request.app.state["dispatcher"]
    return dispatcher


def _new_ref() -> str:
    # Records made inside casavi get casavi-generated reference ids.
    return f"cv-{uuid.uuid4().hex[:12]}"


def _tenant(sim: Simulator, contact_id: str) -> None:
    require(sim, "contacts", contact_id, "contactId")
    set_portal_state(sim, contact_id, registered=True)


def _check_form(ticket_type: dict[str, Any] | None, values: dict[str, tw.FieldValue]) -> None:
    fields = {f["id"]: f for f in (ticket_type or {}).get("formFields", [])}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise SimError(422, f"unknown form fields: {', '.join(unknown)}")
    missing = sorted(i for i, f in fields.items() if f["required"] and values.get(i) is None)
    if missing:
        raise SimError(422, f"required form fields missing: {', '.join(missing)}")


@post(f"{PREFIX}/tenant/tickets", status_code=201)
async def tenant_creates_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    body = await decode_body(request, TenantTicket)
    require(sim, "contacts", body.contact_id, "contactId")
    ticket_type = sim.store.get("ticket-types", body.ticket_type_id)
    if ticket_type is not None and not ticket_type["tenantCreatable"]:
        raise SimError(422, "tenants cannot create tickets of this type (rule T6)")
    _check_form(ticket_type, body.fields)
    create = tw.TicketCreate(
        id=_new_ref(),
        ticket_type_id=body.ticket_type_id,
        subject=body.subject,
        property_id=body.property_id,
        unit_id=body.unit_id,
        description=body.description,
        reporter_contact_id=body.contact_id,
        fields=body.fields,
    )
    record = new_ticket(sim, create, "tenant")
    _tenant(sim, body.contact_id)
    _dispatcher(request).emit("ticket.created", tw.CallbackData(ticket_id=record["id"]))
    return json_response(record, 201)


def _ticket_id(request: AnyRequest) -> str:
    ticket_id = ref(request.path_params["ticketId"])
    if sim_of(request).store.get("tickets", ticket_id) is None:
        raise SimError(404, "ticket not found")
    return ticket_id


def _attachments(sim: Simulator, ticket_id: str, ids: list[str]) -> list[tw.MessageAttachment]:
    found = []
    for document_id in ids:
        document = sim.store.get("documents", document_id)
        if document is None or document.get("ticketId") != ticket_id:
            raise SimError(422, f"document {document_id!r} is not attached to this ticket")
        found.append(
            tw.MessageAttachment(
                document_id=document_id,
                file_name=document["fileName"],
                size=document["size"],
                content_type=document["contentType"],
            )
        )
    return found


@post(f"{PREFIX}/tenant/tickets/{{ticketId:str}}/messages", status_code=201)
async def tenant_writes_message(request: AnyRequest) -> Response[bytes]:
    """Tenants write public messages only."""
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    body = await decode_body(request, TenantMessage)
    _tenant(sim, body.contact_id)
    attachments = _attachments(sim, ticket_id, body.document_ids)
    create = tw.TicketMessageCreate(
        id=_new_ref(), author_id=body.contact_id, visibility="public", content=body.content
    )
    record = new_message(sim, ticket_id, create, "contact", attachments)
    data = tw.CallbackData(ticket_id=ticket_id, message_id=record["id"])
    _dispatcher(request).emit("ticket.message.created", data)
    return json_response(record, 201)


class TenantEdit(msgspec.Struct, kw_only=True, rename="camel"):
    contact_id: RefId
    content: NonEmpty


@patch(f"{PREFIX}/tenant/tickets/{{ticketId:str}}/messages/{{messageId:str}}")
async def tenant_edits_message(request: AnyRequest) -> Response[bytes]:
    """A tenant edits their own message in the portal: ``editedAt`` is set and the ticket's
    ``modifiedAt`` moves (no callback: a poll sees it)."""
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    message_id = ref(request.path_params["messageId"])
    body = await decode_body(request, TenantEdit)
    current = sim.store.get("messages", message_id, parent=ticket_id)
    if current is None:
        raise SimError(404, "message not found")
    if (current["authorType"], current["authorId"]) != ("contact", body.contact_id):
        raise SimError(403, "tenants edit their own messages only")
    stamp = now_utc()  # the edit's time is the ticket's new modifiedAt
    record = {**current, "content": body.content, "editedAt": stamp}
    sim.store.put("messages", message_id, record, parent=ticket_id)
    change_ticket(sim, ticket_id, {}, stamp)
    return json_response(record)


@get(f"{PREFIX}/tenant/tickets/{{ticketId:str}}")
async def tenant_sees_ticket(request: AnyRequest) -> Response[bytes]:
    """What the tenant sees of a ticket in the portal: its status and its public messages,
    oldest first (internal notes never, rule N2)."""
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    ticket = sim.store.get("tickets", ticket_id)
    assert ticket is not None
    messages = [
        m
        for m in sim.store.find("messages", ("parent = ?", (ticket_id,)))
        if m["visibility"] == "public"
    ]
    view = {
        "id": ticket["id"],
        "subject": ticket["subject"],
        "statusId": ticket.get("statusId"),
        "closedAt": ticket.get("closedAt"),
        "messages": [
            {k: m.get(k) for k in ("id", "authorType", "authorId", "content", "writtenAt")}
            for m in messages
        ],
    }
    return json_response(view)


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


@post(f"{PREFIX}/tenant/tickets/{{ticketId:str}}/rating", status_code=200)
async def tenant_rates_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    body = await decode_body(request, TenantRating)
    _tenant(sim, body.contact_id)
    stamp = now_utc()  # the rating's time is the ticket's new modifiedAt
    rating = tw.TicketRating(
        stars=body.stars,
        contact_id=body.contact_id,
        rated_at=datetime.fromisoformat(stamp),
        comment=body.comment,
    )
    record = change_ticket(sim, ticket_id, {"rating": msgspec.to_builtins(rating)}, stamp)
    _dispatcher(request).emit("ticket.rated", tw.CallbackData(ticket_id=ticket_id))
    return json_response(record)


@post(f"{PREFIX}/staff/tickets/{{ticketId:str}}/messages", status_code=201)
async def staff_writes_note(request: AnyRequest) -> Response[bytes]:
    """casavi staff write in casavi's web app: by default an internal note, which must never
    reach iX-Haus (rule N2). The callback fires all the same."""
    sim = sim_of(request)
    ticket_id = _ticket_id(request)
    body = await decode_body(request, StaffNote)
    require(sim, "staff", body.staff_id, "staffId")
    create = tw.TicketMessageCreate(
        id=_new_ref(), author_id=body.staff_id, visibility=body.visibility, content=body.content
    )
    record = new_message(sim, ticket_id, create, "staff")
    data = tw.CallbackData(ticket_id=ticket_id, message_id=record["id"])
    _dispatcher(request).emit("ticket.message.created", data)
    return json_response(record, 201)


def sandbox_handlers() -> list[HTTPRouteHandler]:
    return [
        tenant_creates_ticket,
        tenant_writes_message,
        tenant_edits_message,
        tenant_sees_ticket,
        tenant_uploads_attachment,
        tenant_changes_ticket,
        tenant_rates_ticket,
        staff_writes_note,
    ]
