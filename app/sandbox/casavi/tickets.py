"""Simulated contract: tickets, ticket messages and bulletin-board posts."""

from __future__ import annotations

import functools
from contextlib import suppress
from datetime import datetime
from typing import Any

import msgspec
from litestar import Response, delete, get, patch, post
from litestar.handlers import HTTPRouteHandler

from app.adapters.casavi import wire_tickets as tw
from app.sandbox.casavi.common import (
    AnyRequest,
    SimError,
    decode_body,
    error_response,
    json_response,
    page_response,
    query_opt,
    ref,
    require,
    sim_of,
    to_record,
)
from app.sandbox.casavi.state import Simulator
from app.sandbox.casavi.store import BY_MODIFICATION, Duplicate, Record, now_utc


def check_ticket_refs(sim: Simulator, fields: dict[str, Any]) -> None:
    for field, kind in (
        ("propertyId", "properties"),
        ("ticketTypeId", "ticket-types"),
        ("unitId", "units"),
        ("reporterContactId", "contacts"),
        ("responsibleStaffId", "staff"),
        ("responsibleRoleId", "staff-roles"),
        ("statusId", "ticket-statuses"),
        ("priorityId", "ticket-priorities"),
    ):
        require(sim, kind, fields.get(field), field)


def _same(record: Record, _internal_id: int) -> Record:
    return record


def email_notices(sim: Simulator, ticket: Record) -> None:
    """T7 as casavi would do it (inferred): a new ticket whose ``notifyUnregisteredByEmail`` is
    set e-mails its contacts that have an e-mail address but no portal account - the reporter,
    or for an object-wide ticket everybody with a contract in the property. The simulator
    keeps each e-mail as a ``notices`` record (one per ticket and contact) for tests to read.
    """
    if not ticket.get("notifyUnregisteredByEmail"):
        return
    if ticket.get("objectWide"):
        contacts = [
            c
            for c in sim.store.all("contacts")
            if any(k["propertyId"] == ticket["propertyId"] for k in c.get("contracts", []))
        ]
    else:
        reporter = ticket.get("reporterContactId")
        found = sim.store.get("contacts", reporter) if reporter else None
        contacts = [found] if found else []
    for contact in contacts:
        if contact.get("isRegistered") or not contact.get("email"):
            continue  # portal users hear from casavi itself
        notice: Record = {
            "ticketId": ticket["id"],
            "contactId": contact["id"],
            "email": contact["email"],
        }
        with suppress(Duplicate):
            sim.store.insert(
                "notices", contact["id"], functools.partial(_same, notice), parent=ticket["id"]
            )


def new_ticket(sim: Simulator, body: tw.TicketCreate, origin: str) -> Record:
    """Store a ticket (manager- or tenant-created); raises ``Duplicate``."""
    check_ticket_refs(sim, msgspec.to_builtins(body))
    stamp = now_utc()
    record = sim.store.insert(
        "tickets",
        body.id,
        lambda i: to_record(
            body,
            tw.Ticket,
            internalId=i,
            origin=origin,
            createdAt=stamp,
            modifiedAt=stamp,
            closedAt=None,
        ),
    )
    email_notices(sim, record)
    return record


def change_ticket(
    sim: Simulator, ticket_id: str, changes: dict[str, Any], stamp: str | None = None
) -> Record:
    """Apply ``changes`` and move ``modifiedAt`` to ``stamp`` (default now; ``{}`` only moves
    it: news on the ticket, whose own ``createdAt`` is then the ticket's ``modifiedAt``)."""
    current = sim.store.get("tickets", ticket_id)
    if current is None:
        raise SimError(404, "ticket not found")
    check_ticket_refs(sim, changes)
    stamp = stamp or now_utc()
    merged = {**current, **changes, "modifiedAt": stamp}
    try:
        record: Record = msgspec.to_builtins(msgspec.convert(merged, tw.Ticket))
    except msgspec.ValidationError as exc:
        raise SimError(422, f"invalid change: {exc}") from None
    sim.store.put("tickets", ticket_id, record, stamp=stamp)
    return record


def new_message(
    sim: Simulator,
    ticket_id: str,
    body: tw.TicketMessageCreate,
    author_type: str,
    attachments: list[tw.MessageAttachment] | None = None,
) -> Record:
    """Store a message (raises ``Duplicate``); the ticket's ``modifiedAt`` becomes the
    message's ``createdAt`` (one change, as the contract says)."""
    stamp = now_utc()
    written = body.written_at or datetime.fromisoformat(stamp)
    record = sim.store.insert(
        "messages",
        body.id,
        lambda i: msgspec.to_builtins(
            tw.TicketMessage(
                id=body.id,
                internal_id=i,
                ticket_id=ticket_id,
                author_type=author_type,  # type: ignore[arg-type]
                author_id=body.author_id,
                visibility=body.visibility,
                content=body.content,
                written_at=written,
                created_at=datetime.fromisoformat(stamp),
                attachments=attachments or [],
            )
        ),
        parent=ticket_id,
    )
    change_ticket(sim, ticket_id, {}, stamp)
    return record


@get("/v2/tickets", opt=query_opt("modifiedAfter", paging=True))
async def list_tickets(request: AnyRequest) -> Response[bytes]:
    # Modification order: a poller's cursor is the last modifiedAt it saw.
    return page_response(request, "tickets", with_modified_after=True, order=BY_MODIFICATION)


@post("/v2/tickets", status_code=201)
async def create_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    body = await decode_body(request, tw.TicketCreate)
    try:
        record = new_ticket(sim, body, "manager")
    except Duplicate:
        return error_response(409, f"ticket {body.id!r} exists")
    return json_response(record, 201)


@get("/v2/tickets/{ticketId:str}")
async def get_ticket(request: AnyRequest) -> Response[bytes]:
    record = sim_of(request).store.get("tickets", ref(request.path_params["ticketId"]))
    return error_response(404, "not found") if record is None else json_response(record)


@patch("/v2/tickets/{ticketId:str}")
async def update_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = ref(request.path_params["ticketId"])
    if sim.store.get("tickets", ticket_id) is None:
        return error_response(404, "not found")
    body = await decode_body(request, tw.TicketUpdate)
    changes: dict[str, Any] = msgspec.to_builtins(body)
    if not changes:
        raise SimError(422, "no field to change")
    return json_response(change_ticket(sim, ticket_id, changes))


@delete("/v2/tickets/{ticketId:str}", status_code=204)
async def delete_ticket(request: AnyRequest) -> Response[None]:
    """Ticket removal (casavi-api.md §8): the ticket goes with its messages, e-mail notices
    and attachments."""
    sim = sim_of(request)
    ticket_id = ref(request.path_params["ticketId"])
    if not sim.store.delete("tickets", ticket_id):
        raise SimError(404, "not found")
    for kind in ("messages", "notices"):
        sim.store.delete_children(kind, ticket_id)
    attached = ("json_extract(data, '$.ticketId') = ?", (ticket_id,))
    for document in sim.store.find("documents", attached):
        sim.store.delete("documents", document["id"])
        (sim.store.files / str(document["internalId"])).unlink(missing_ok=True)
    return Response(content=None, status_code=204)


@post("/v2/tickets/{ticketId:str}/close", status_code=200)
async def close_ticket(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = ref(request.path_params["ticketId"])
    current = sim.store.get("tickets", ticket_id)
    if current is None:
        return error_response(404, "not found")
    if current["closedAt"] is not None:  # closing twice is a no-op
        return json_response(current)
    raw = await request.body()
    body = await decode_body(request, tw.TicketClose) if raw.strip() else tw.TicketClose()
    stamp = now_utc()  # without a closedAt, the close's time is the ticket's modifiedAt
    closed = body.closed_at or datetime.fromisoformat(stamp)
    changes = {"closedAt": msgspec.to_builtins(closed)}
    return json_response(change_ticket(sim, ticket_id, changes, stamp))


@get("/v2/tickets/{ticketId:str}/messages", opt=query_opt("visibility", paging=True))
async def list_messages(request: AnyRequest) -> Response[bytes]:
    visibility = request.query_params.get("visibility")
    if visibility not in (None, "public", "internal"):
        raise SimError(400, "visibility must be public or internal")
    ticket_id = ref(request.path_params["ticketId"])
    if sim_of(request).store.get("tickets", ticket_id) is None:
        return error_response(404, "ticket not found")
    where = (
        () if visibility is None else (("json_extract(data, '$.visibility') = ?", (visibility,)),)
    )
    return page_response(request, "messages", parent=ticket_id, where=where)


@post("/v2/tickets/{ticketId:str}/messages", status_code=201)
async def create_message(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    ticket_id = ref(request.path_params["ticketId"])
    if sim.store.get("tickets", ticket_id) is None:
        return error_response(404, "ticket not found")
    body = await decode_body(request, tw.TicketMessageCreate)
    require(sim, "staff", body.author_id, "authorId")
    try:
        record = new_message(sim, ticket_id, body, "staff")
    except Duplicate:
        return error_response(409, f"message {body.id!r} exists")
    return json_response(record, 201)


@get("/v2/tickets/{ticketId:str}/messages/{messageId:str}")
async def get_message(request: AnyRequest) -> Response[bytes]:
    params = request.path_params
    record = sim_of(request).store.get(
        "messages", ref(params["messageId"]), parent=ref(params["ticketId"])
    )
    return error_response(404, "not found") if record is None else json_response(record)


@patch("/v2/tickets/{ticketId:str}/messages/{messageId:str}")
async def update_message(request: AnyRequest) -> Response[bytes]:
    """An edited message (casavi-api.md §8 ``ticketcomment`` update): only the content
    changes, ``editedAt`` is set and the ticket's ``modifiedAt`` moves (pollers see it)."""
    sim = sim_of(request)
    ticket_id, message_id = (ref(request.path_params[n]) for n in ("ticketId", "messageId"))
    current = sim.store.get("messages", message_id, parent=ticket_id)
    if current is None:
        return error_response(404, "not found")
    body = await decode_body(request, tw.TicketMessageUpdate)
    if current["authorType"] != "staff":
        raise SimError(422, "only messages written through the API can be changed")
    if current["content"] == body.content:  # the same edit again changes nothing
        return json_response(current)
    stamp = now_utc()
    record = {**current, "content": body.content, "editedAt": stamp}
    sim.store.put("messages", message_id, record, parent=ticket_id)
    change_ticket(sim, ticket_id, {}, stamp)
    return json_response(record)


@post("/v2/posts", status_code=201)
async def create_post(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    body = await decode_body(request, tw.PostWrite)
    require(sim, "properties", body.property_id, "propertyId")
    require(sim, "staff", body.author_id, "authorId")
    stamp = now_utc()
    try:
        record = sim.store.insert(
            "posts", body.id, lambda i: to_record(body, tw.Post, internalId=i, createdAt=stamp)
        )
    except Duplicate:
        return error_response(409, f"post {body.id!r} exists")
    return json_response(record, 201)


@get("/v2/posts/{postId:str}")
async def get_post(request: AnyRequest) -> Response[bytes]:
    record = sim_of(request).store.get("posts", ref(request.path_params["postId"]))
    return error_response(404, "not found") if record is None else json_response(record)


@delete("/v2/posts/{postId:str}", status_code=204)
async def delete_post(request: AnyRequest) -> Response[None]:
    if not sim_of(request).store.delete("posts", ref(request.path_params["postId"])):
        raise SimError(404, "not found")
    return Response(content=None, status_code=204)


def ticket_handlers() -> list[HTTPRouteHandler]:
    return [
        list_tickets,
        create_ticket,
        get_ticket,
        update_ticket,
        delete_ticket,
        close_ticket,
        list_messages,
        create_message,
        get_message,
        update_message,
        create_post,
        get_post,
        delete_post,
    ]
