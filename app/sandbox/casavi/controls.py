"""Sandbox controls (outside the casavi contract): fault switches, the callback target,
counters, and a contact's portal state (invited, registered), which only casavi sets."""

from __future__ import annotations

from litestar import Response, get, post, put
from litestar.handlers import HTTPRouteHandler

from app.sandbox.casavi.common import AnyRequest, SimError, decode_body, json_response, ref, sim_of
from app.sandbox.casavi.state import CallbackSettings, Faults, Simulator, Variant
from app.sandbox.casavi.store import Record

PREFIX = "/_sandbox"


def set_portal_state(sim: Simulator, contact_id: str, *, registered: bool) -> Record:
    """Invite a contact, or register it (a registered contact was invited first). The
    contact's modification time moves, so ``GET /v2/contacts?modifiedAfter=`` shows it."""
    current = sim.store.get("contacts", contact_id)
    if current is None:
        raise SimError(404, "contact not found")
    wanted = {"isInvited": True, **({"isRegistered": True} if registered else {})}
    if all(current.get(name) == value for name, value in wanted.items()):
        return current
    record = {**current, **wanted}
    sim.store.put("contacts", contact_id, record)
    return record


@post(f"{PREFIX}/contacts/{{contactId:str}}/invite", status_code=200)
async def invite_contact(request: AnyRequest) -> Response[bytes]:
    contact_id = ref(request.path_params["contactId"])
    return json_response(set_portal_state(sim_of(request), contact_id, registered=False))


@post(f"{PREFIX}/contacts/{{contactId:str}}/register", status_code=200)
async def register_contact(request: AnyRequest) -> Response[bytes]:
    contact_id = ref(request.path_params["contactId"])
    return json_response(set_portal_state(sim_of(request), contact_id, registered=True))


@get(f"{PREFIX}/faults")
async def get_faults(request: AnyRequest) -> Response[bytes]:
    return json_response(sim_of(request).faults)


@put(f"{PREFIX}/faults")
async def put_faults(request: AnyRequest) -> Response[bytes]:
    """Replace every switch; ``dropCallbacks``, ``duplicateCallbacks`` and
    ``reorderCallbacks`` are the callback delivery faults."""
    sim = sim_of(request)
    faults = await decode_body(request, Faults)
    if faults.expire_tokens:
        sim.store.revoke_tokens()
        faults.expire_tokens = False
    sim.faults = faults
    return json_response(faults)


@put(f"{PREFIX}/variant")
async def put_variant(request: AnyRequest) -> Response[bytes]:
    """Serve a casavi that deviates from the contract (``variants.py``); ``{}`` = none."""
    sim = sim_of(request)
    sim.variant = await decode_body(request, Variant)
    return json_response(sim.variant)


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


def control_handlers() -> list[HTTPRouteHandler]:
    return [
        invite_contact,
        register_contact,
        get_faults,
        put_faults,
        put_variant,
        put_callbacks,
        get_stats,
    ]
