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
from typing import TYPE_CHECKING

import msgspec

from app.domain.keys import EntityKind
from app.sync.inbound.errors import Park
from app.sync.inbound.notes import ListedNotes
from app.sync.ports import CasaviMessageView, CasaviTicketView, NewInboxEvent
from app.sync.ports.events import OwnWrite, TicketPolled, inbox_entry

if TYPE_CHECKING:
    from app.sync.inbound.handlers import Handlers


def _stamp(modified_at: dt.datetime) -> str:
    return modified_at.astimezone(dt.UTC).isoformat()


def polled_id(ticket_id: str, modified_at: dt.datetime) -> str:
    return f"poll:{ticket_id}@{_stamp(modified_at)}"


def polled_event(ticket: CasaviTicketView) -> NewInboxEvent:
    listed = ticket if ticket.deviation is None else None
    event = TicketPolled(
        ticket_id=ticket.id,
        modified_at=ticket.modified_at,
        ticket=listed,
        deviation=ticket.deviation,
    )
    return inbox_entry(event, polled_id(ticket.id, ticket.modified_at))


def own_event(ticket_id: str, modified_at: dt.datetime) -> NewInboxEvent:
    """The gateway's own change, under the id its poll would give it (stored as done)."""
    event = OwnWrite(ticket_id=ticket_id, modified_at=modified_at)
    return inbox_entry(event, polled_id(ticket_id, modified_at))


def first_try(event: TicketPolled, attempts: int) -> TicketPolled:
    """The event as it is applied: on a retry (parked before) the listed ticket is old and
    is read afresh."""
    return event if attempts == 0 else msgspec.structs.replace(event, ticket=None)


async def apply_polled(h: Handlers, event: TicketPolled) -> str:
    ref = event.ticket_id
    ticket = event.ticket or await h.casavi.ticket(ref)
    if ticket is None:
        raise Park(f"casavi has no ticket {ref}")
    if ticket.visibility == "internal":
        return "internal casavi ticket: never comes to iX-Haus"  # rule N2
    known = await h.links.by_casavi_id(EntityKind.TICKET, ref) is not None
    number = await h.ensure_ticket(ticket)  # ``Ignored`` for a ticket that is not ours
    done = [await h.fields(number, ticket), await h.rating(number, ticket)]
    explained = ticket.rated_at is not None and ticket.rated_at == ticket.modified_at
    messages = [message async for message in h.casavi.public_messages(ref)]
    listed = await ListedNotes.read(h, [message.id for message in messages])
    for message in messages:
        if await _commissioning(h, message, listed):
            continue  # the gateway's own T8 message (no note link: it is no iX-Haus note)
        done.append(await h.message(number, ref, message.id, message, listed))
        for attachment in message.attachments:
            done.append(await h.attachment(number, ref, attachment.id, attachment))
        if ticket.modified_at in (message.created_at, message.edited_at):
            explained = True
    if not known or not explained:
        async for attachment in h.casavi.attachments(ref):
            done.append(await h.attachment(number, ref, attachment.id, attachment))
    return "; ".join(d for d in done if d)


async def _commissioning(h: Handlers, message: CasaviMessageView, listed: ListedNotes) -> bool:
    """Whether the ledger holds ``message`` as a commissioning note the gateway sent (a
    staff message that is no note: one with a note link is not asked about)."""
    if message.author_type != "staff" or message.id in listed.links:
        return False
    found = await h.links.by_casavi_id(EntityKind.WORK_ORDER_NOTE, message.id)
    return found is not None
