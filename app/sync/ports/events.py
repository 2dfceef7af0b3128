"""Inbound events as one tagged union: each kind a Struct, told apart by ``type``.

An event is decoded into its kind once, where it enters: a callback body (the casavi adapter
turns its wire envelope into one), a poll (``TicketPolled`` from the listed ticket), an
inbox row (``decode_event``: the row's ``event_type`` is the tag, its payload the fields).
The handlers dispatch with ``match`` on the kind, never on a string.

The inbox keeps the format it always had: ``event_type`` holds the tag and ``payload`` the
encoded event (a callback's payload is casavi's envelope, ``type`` included), so rows stored
before the union existed decode into it unchanged. A kind the gateway does not know (a row
written by a newer or foreign version) is an ``UnknownEvent``: parked with that reason, not
a crash, and applied once a version that knows the kind runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from app.sync.ports.external import CasaviTicketView
from app.sync.ports.inbox import OWN_WRITE_EVENT, NewInboxEvent


class _Event(msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="type"):
    pass


class CallbackRefs(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """What a callback names: reference ids only (the handler reads casavi's current state)."""

    ticket_id: str
    message_id: str | None = None
    document_id: str | None = None
    changed_fields: tuple[str, ...] = ()


class _Callback(_Event, frozen=True, kw_only=True, omit_defaults=True):
    """casavi's envelope (webhook ``casaviEvent``), as stored in the inbox since day one."""

    id: str
    occurred_at: dt.datetime
    data: CallbackRefs

    @property
    def ticket_id(self) -> str:
        return self.data.ticket_id


class TicketCreated(_Callback, frozen=True, tag="ticket.created"):
    pass


class TicketUpdated(_Callback, frozen=True, tag="ticket.updated"):
    pass


class TicketRated(_Callback, frozen=True, tag="ticket.rated"):
    pass


class MessageCreated(_Callback, frozen=True, tag="ticket.message.created"):
    """``data.messageId`` names the message (also a casavi staff's internal note, rule N2)."""


class AttachmentCreated(_Callback, frozen=True, tag="ticket.attachment.created"):
    """``data.documentId`` names the attachment."""


class TicketPolled(_Event, frozen=True, kw_only=True, omit_defaults=True, tag="ticket.polled"):
    """A change the poll found: the ticket as casavi listed it (``None`` when the listing
    was outside the contract, ``deviation`` says how, or on a retry: read it afresh)."""

    ticket_id: str
    modified_at: dt.datetime
    ticket: CasaviTicketView | None = None
    deviation: str | None = None


class OwnWrite(_Event, frozen=True, kw_only=True, tag=OWN_WRITE_EVENT):
    """The gateway's own change in casavi, stored as done under the id the poll would give
    it (``app.sync.inbound.own_writes``): bookkeeping, nothing to apply."""

    ticket_id: str
    modified_at: dt.datetime


CallbackEvent = TicketCreated | TicketUpdated | TicketRated | MessageCreated | AttachmentCreated
InboundEvent = CallbackEvent | TicketPolled | OwnWrite


def kind_of(kind: type[InboundEvent]) -> str:
    """The tag of an event kind (what ``event_type`` holds)."""
    return str(kind.__struct_config__.tag)


CALLBACK_KINDS: dict[str, type[CallbackEvent]] = {
    kind_of(kind): kind
    for kind in (TicketCreated, TicketUpdated, TicketRated, MessageCreated, AttachmentCreated)
}
POLL_EVENT = kind_of(TicketPolled)


class UnknownEvent(ValueError):
    """An inbox row that is no inbound event this gateway knows (kind or shape)."""


def decode_event(event_type: str, payload: dict[str, Any]) -> InboundEvent:
    """The stored event as its kind; ``UnknownEvent`` (with the reason) for anything else."""
    try:
        event: InboundEvent = msgspec.convert({**payload, "type": event_type}, InboundEvent)
    except msgspec.ValidationError as exc:
        if event_type == POLL_EVENT and "ticket" in payload:
            # A listed ticket stored in an older shape: read it afresh from casavi.
            return decode_event(event_type, {k: v for k, v in payload.items() if k != "ticket"})
        raise UnknownEvent(
            f"not an inbound event the gateway knows ({event_type!r}): {exc}"
        ) from None
    return event


def inbox_entry(event: InboundEvent, external_id: str | None = None) -> NewInboxEvent:
    """The inbox row for ``event``: a callback under casavi's event id, a polled change (and
    the gateway's own) under ``external_id`` (``app.sync.inbound.polled.polled_id``)."""
    payload: dict[str, Any] = msgspec.to_builtins(event)
    tag: str = payload.pop("type")
    match event:
        case TicketPolled() | OwnWrite():
            assert external_id is not None, "a polled change is stored under its poll id"
            return NewInboxEvent(
                external_id=external_id,
                event_type=tag,
                ticket_ref=event.ticket_id,
                occurred_at=event.modified_at,
                payload=payload,
            )
        case _:
            # casavi's envelope as it came, ``type`` included (rows have always held it).
            return NewInboxEvent(
                external_id=event.id,
                event_type=tag,
                ticket_ref=event.ticket_id,
                occurred_at=event.occurred_at,
                payload={"type": tag, **payload},
            )
