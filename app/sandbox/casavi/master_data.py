"""Simulated contract: authentication and the master-data collections (generic CRUD)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Response, delete, get, post, put
from litestar.handlers import HTTPRouteHandler

from app.adapters.casavi import wire
from app.adapters.casavi import wire_tickets as tw
from app.sandbox.casavi.common import (
    AnyRequest,
    PageView,
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
from app.sandbox.casavi.store import Duplicate, Record, Where
from app.sandbox.casavi.views import contact_filters, contact_view, property_view, unit_view


class AuthRequest(msgspec.Struct):
    key: wire.NonEmpty
    secret: wire.NonEmpty


@post("/v2/authenticate", status_code=200)
async def authenticate(request: AnyRequest) -> Response[bytes]:
    return await _authenticate(request)


@post("/authenticate", status_code=200)
async def authenticate_v1(request: AnyRequest) -> Response[bytes]:
    """The documented v1 path (Locoia): same body, same answer."""
    return await _authenticate(request)


async def _authenticate(request: AnyRequest) -> Response[bytes]:
    sim = sim_of(request)
    body = await decode_body(request, AuthRequest)
    # Compare bytes: compare_digest refuses non-ASCII str (found by Schemathesis).
    key_ok = secrets.compare_digest(body.key.encode(), sim.key.encode())
    secret_ok = secrets.compare_digest(body.secret.encode(), sim.secret.encode())
    if not (key_ok and secret_ok):
        return error_response(401, "unknown key or wrong secret")
    sim.stats.authentications += 1
    token = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(seconds=sim.token_ttl_seconds)
    expires_at = expires.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    sim.store.issue_token(token, expires_at)
    return json_response({"token": token, "expiresAt": expires_at})


def _app_link(kind: str, internal_id: int) -> str:
    return f"https://app.mycasavi.com/sandbox/{kind}/{internal_id}"


def _check_unit(sim: Simulator, item: Any) -> None:
    require(sim, "properties", item.property_id, "propertyId")


def _check_contact(sim: Simulator, item: Any) -> None:
    for contract in item.contracts:
        require(sim, "properties", contract.property_id, "contracts.propertyId")
        if contract.unit_id is None and contract.type == "RENTER":
            raise SimError(
                422,
                "a RENTER contract needs a unitId (owners and caretakers may "
                "cover a whole property)",
            )
        require(sim, "units", contract.unit_id, "contracts.unitId")
        unit = sim.store.get("units", contract.unit_id) if contract.unit_id else None
        if unit is not None and unit["propertyId"] != contract.property_id:
            raise SimError(422, "contracts.unitId lies in another property")


def _invited(sim: Simulator, item: Any) -> dict[str, Any]:
    """With ``invite_contacts`` (the sandbox's casavi), a new contact with an e-mail address
    is invited to the portal at once; registering is the contact's own step."""
    return {"isInvited": True} if sim.invite_contacts and item.email else {}


def _check_staff(sim: Simulator, item: Any) -> None:
    for assignment in item.responsibilities:
        require(sim, "properties", assignment.property_id, "responsibilities.propertyId")
        require(sim, "staff-roles", assignment.role_id, "responsibilities.roleId")


@dataclass(frozen=True)
class Kind:
    name: str  # path segment and store kind
    param: str
    write: type[msgspec.Struct]
    read: type[msgspec.Struct]
    check: Callable[[Simulator, Any], None] | None = None
    added: Callable[[str, int], dict[str, Any]] | None = None
    on_read: PageView | None = None
    modified_after: bool = False
    # Query parameters the list takes besides paging (and modifiedAfter), and their filter.
    filters: tuple[str, ...] = ()
    where: Callable[[AnyRequest], tuple[Where, ...]] | None = None
    # casavi's own fields, which a write (PUT) keeps as they are.
    kept: tuple[str, ...] = ()
    # casavi's own fields a create sets (e.g. an invitation).
    on_create: Callable[[Simulator, Any], dict[str, Any]] | None = None


KINDS = (
    Kind(
        "properties",
        "propertyId",
        wire.PropertyWrite,
        wire.Property,
        added=lambda k, i: {"appLink": _app_link(k, i)},
        on_read=property_view,
        modified_after=True,
    ),
    Kind(
        "units",
        "unitId",
        wire.UnitWrite,
        wire.Unit,
        check=_check_unit,
        on_read=unit_view,
        modified_after=True,
        filters=("includeInactiveContracts",),
    ),
    Kind(
        "contacts",
        "contactId",
        wire.ContactWrite,
        wire.Contact,
        check=_check_contact,
        added=lambda k, i: {"appLink": _app_link(k, i)},
        modified_after=True,
        filters=("isRegistered", "isInvited", "role"),
        where=contact_filters,
        kept=("isRegistered", "isInvited"),
        on_read=contact_view,
        on_create=_invited,
    ),
    Kind("staff", "staffId", wire.StaffWrite, wire.Staff, check=_check_staff),
    Kind("staff-roles", "roleId", wire.StaffRoleWrite, wire.StaffRole),
    Kind("ticket-types", "ticketTypeId", tw.TicketTypeWrite, tw.TicketType),
    Kind("ticket-statuses", "statusId", tw.TicketStatusWrite, tw.TicketStatus),
    Kind("ticket-priorities", "priorityId", tw.TicketPriorityWrite, tw.TicketPriority),
)


def _handlers(kind: Kind) -> list[HTTPRouteHandler]:
    base = f"/v2/{kind.name}"
    item = f"{base}/{{{kind.param}:str}}"

    def shown(request: AnyRequest, record: Record) -> Record:
        return kind.on_read(sim_of(request), [record], request)[0] if kind.on_read else record

    def build(sim: Simulator, body: Any, internal_id: int, **kept: Any) -> Record:
        extra = kind.added(kind.name, internal_id) if kind.added else {}
        return to_record(body, kind.read, internalId=internal_id, **extra, **kept)

    async def list_items(request: AnyRequest) -> Response[bytes]:
        return page_response(
            request,
            kind.name,
            with_modified_after=kind.modified_after,
            where=kind.where(request) if kind.where else (),
            view=kind.on_read,
        )

    async def create_item(request: AnyRequest) -> Response[bytes]:
        sim = sim_of(request)
        body: Any = await decode_body(request, kind.write)
        if kind.check:
            kind.check(sim, body)
        try:
            created = kind.on_create(sim, body) if kind.on_create else {}
            record = sim.store.insert(kind.name, body.id, lambda i: build(sim, body, i, **created))
        except Duplicate:
            return error_response(409, f"{kind.name} {body.id!r} exists")
        return json_response(shown(request, record), 201)

    async def get_item(request: AnyRequest) -> Response[bytes]:
        sim = sim_of(request)
        record = sim.store.get(kind.name, ref(request.path_params[kind.param]))
        if record is None:
            return error_response(404, "not found")
        return json_response(shown(request, record))

    async def put_item(request: AnyRequest) -> Response[bytes]:
        sim = sim_of(request)
        ref_id = ref(request.path_params[kind.param])
        current = sim.store.get(kind.name, ref_id)
        if current is None:
            return error_response(404, "not found")
        body: Any = await decode_body(request, kind.write)
        if body.id != ref_id:
            raise SimError(422, "the body's id differs from the path")
        if kind.check:
            kind.check(sim, body)
        kept = {name: current[name] for name in kind.kept if name in current}
        record = build(sim, body, int(current["internalId"]), **kept)
        sim.store.put(kind.name, ref_id, record)
        return json_response(shown(request, record))

    async def delete_item(request: AnyRequest) -> Response[None]:
        sim = sim_of(request)
        if not sim.store.delete(kind.name, ref(request.path_params[kind.param])):
            raise SimError(404, "not found")
        return Response(content=None, status_code=204)

    name = kind.name
    listed = (*kind.filters, *(("modifiedAfter",) if kind.modified_after else ()))
    return [
        get(base, name=f"list-{name}", opt=query_opt(*listed, paging=True))(list_items),
        post(base, name=f"create-{name}", status_code=201)(create_item),
        get(item, name=f"get-{name}")(get_item),
        put(item, name=f"put-{name}")(put_item),
        delete(item, name=f"delete-{name}", status_code=204)(delete_item),
    ]


def master_data_handlers() -> list[HTTPRouteHandler]:
    handlers: list[HTTPRouteHandler] = [authenticate, authenticate_v1]
    for kind in KINDS:
        handlers.extend(_handlers(kind))
    return handlers
