"""What the poll stores, and how a polled change is applied with as few casavi reads as
possible.

A polled event carries the ticket as casavi listed it (``payload.ticket``), so applying it
reads no ticket again. It then reads the ticket's public messages - one request for a ticket
with up to a page of them - which bring their attachments along (``attachments[]``). The
ticket's attachment list is read only when the messages do not explain the change: a
tenant's new ticket (photos sent with it), or a ``modifiedAt`` that is no message's
``createdAt``/``editedAt`` and no rating (an attachment sent alone, a changed field). A
ticket that is not the first try (parked before) is read afresh: its stored state is old.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import msgspec

from app.domain.keys import EntityKind
from app.sync.inbound.errors import Park
from app.sync.ports import OWN_WRITE_EVENT, CasaviTicketView, InboxEvent, NewInboxEvent

if TYPE_CHECKING:
    from app.sync.inbound.handlers import Handlers

POLL_EVENT = "ticket.polled"


def _stamp(modified_at: dt.datetime) -> str:
    return modified_at.astimezone(dt.UTC).isoformat()


def polled_id(ticket_id: str, modified_at: dt.datetime) -> str:
    return f"poll:{ticket_id}@{_stamp(modified_at)}"


def polled_event(ticket: CasaviTicketView) -> NewInboxEvent:
    payload: dict[str, Any] = {
        "ticketId": ticket.id,
        "modifiedAt": _stamp(ticket.modified_at),
    }
    if ticket.deviation is None:
        payload["ticket"] = msgspec.to_builtins(ticket)
    else:
        payload["deviation"] = ticket.deviation
    return NewInboxEvent(
        external_id=polled_id(ticket.id, ticket.modified_at),
        event_type=POLL_EVENT,
        ticket_ref=ticket.id,
        occurred_at=ticket.modified_at,
        payload=payload,
    )


def own_event(ticket_id: str, modified_at: dt.datetime) -> NewInboxEvent:
    """The gateway's own change, under the id its poll would give it (stored as done)."""
    return NewInboxEvent(
        external_id=polled_id(ticket_id, modified_at),
        event_type=OWN_WRITE_EVENT,
        ticket_ref=ticket_id,
        occurred_at=modified_at,
        payload={"ticketId": ticket_id, "modifiedAt": _stamp(modified_at)},
    )


def listed_ticket(event: InboxEvent) -> CasaviTicketView | None:
    """The ticket as the poll listed it - on the event's first try only."""
    raw = event.payload.get("ticket")
    if raw is None or event.attempts > 0:
        return None
    try:
        return msgspec.convert(raw, CasaviTicketView)
    except msgspec.ValidationError:
        return None


async def apply_polled(h: Handlers, event: InboxEvent) -> str:
    ref = event.ticket_ref or ""
    ticket = listed_ticket(event) or await h.casavi.ticket(ref)
    if ticket is None:
        raise Park(f"casavi has no ticket {ref}")
    if ticket.visibility == "internal":
        return "internal casavi ticket: never comes to iX-Haus"  # rule N2
    known = await h.links.by_casavi_id(h.system, EntityKind.TICKET, ref) is not None
    number = await h.ensure_ticket(ticket)
    if number is None:
        return "not a tenant's ticket and not one the gateway sent: ignored"
    done = [await h.fields(number, ticket), await h.rating(number, ticket)]
    explained = ticket.rated_at is not None and ticket.rated_at == ticket.modified_at
    async for message in h.casavi.public_messages(ref):
        if message.author_type == "staff" and await _commissioning(h, message.id):
            continue  # the gateway's own T8 message (no note link: it is no iX-Haus note)
        done.append(await h.message(number, ref, message.id, message))
        for attachment in message.attachments:
            done.append(await h.attachment(number, ref, attachment.id, attachment))
        if ticket.modified_at in (message.created_at, message.edited_at):
            explained = True
    if not known or not explained:
        async for attachment in h.casavi.attachments(ref):
            done.append(await h.attachment(number, ref, attachment.id, attachment))
    return "; ".join(d for d in done if d)


async def _commissioning(h: Handlers, message_id: str) -> bool:
    """Whether the ledger holds ``message_id`` as a commissioning note the gateway sent."""
    return await h.links.by_casavi_id(h.system, EntityKind.WORK_ORDER_NOTE, message_id) is not None
