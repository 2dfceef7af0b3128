"""Inbound events as one tagged union: every kind is stored and decoded in the inbox's one
format (rows stored before the union decode unchanged), an unknown kind is a clear error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.sync.inbound.errors import Park
from app.sync.inbound.polled import own_event, polled_event, polled_id
from app.sync.inbound.process import stored_event
from app.sync.ports import CasaviTicketView, InboxEvent
from app.sync.ports.events import (
    CALLBACK_KINDS,
    AttachmentCreated,
    CallbackRefs,
    InboundEvent,
    MessageCreated,
    OwnWrite,
    TicketPolled,
    TicketUpdated,
    UnknownEvent,
    decode_event,
    inbox_entry,
)

AT = dt.datetime(2026, 11, 29, 12, 30, tzinfo=dt.UTC)
TICKET = CasaviTicketView(
    id="cv-1",
    origin="tenant",
    ticket_type_id="T1",
    subject="Tür klemmt",
    property_id="1001",
    modified_at=AT,
    created_at=AT,
)


def _row(event_type: str, payload: dict[str, Any], attempts: int = 0) -> InboxEvent:
    return InboxEvent(
        id=1,
        system="test",
        external_id="evt-1",
        event_type=event_type,
        ticket_ref="cv-1",
        occurred_at=AT,
        received_at=AT,
        payload=payload,
        status="received",
        attempts=attempts,
        processed_at=None,
        next_attempt_at=None,
        last_error=None,
    )


@pytest.mark.parametrize(
    "event",
    [
        *(
            kind(id="e-1", occurred_at=AT, data=CallbackRefs(ticket_id="cv-1", message_id="m-1"))
            for kind in CALLBACK_KINDS.values()
        ),
        TicketUpdated(
            id="e-2", occurred_at=AT, data=CallbackRefs(ticket_id="cv-1", changed_fields=("x",))
        ),
        TicketPolled(ticket_id="cv-1", modified_at=AT, ticket=TICKET),
        TicketPolled(ticket_id="cv-1", modified_at=AT, deviation="status: unexpected"),
        OwnWrite(ticket_id="cv-1", modified_at=AT),
    ],
)
def test_every_kind_is_stored_and_decoded_as_itself(event: InboundEvent) -> None:
    row = inbox_entry(event, external_id="poll:cv-1@x")
    assert row.ticket_ref == "cv-1"
    assert decode_event(row.event_type, row.payload) == event


def test_rows_stored_before_the_union_decode_into_it() -> None:
    # A callback row: casavi's envelope as the adapter stored it (wire names, ``type`` in it).
    callback = {
        "id": "evt-9",
        "type": "ticket.message.created",
        "occurredAt": "2026-11-29T12:30:00Z",
        "data": {"ticketId": "cv-1", "messageId": "m-9"},
    }
    assert decode_event("ticket.message.created", callback) == MessageCreated(
        id="evt-9", occurred_at=AT, data=CallbackRefs(ticket_id="cv-1", message_id="m-9")
    )
    # A polled row: no ``type``, the ticket as ``msgspec.to_builtins`` wrote it.
    polled = {"ticketId": "cv-1", "modifiedAt": AT.isoformat(), "ticket": _builtins(TICKET)}
    assert decode_event("ticket.polled", polled) == TicketPolled(
        ticket_id="cv-1", modified_at=AT, ticket=TICKET
    )
    own = {"ticketId": "cv-1", "modifiedAt": AT.isoformat()}
    assert decode_event("ticket.own_write", own) == OwnWrite(ticket_id="cv-1", modified_at=AT)


def test_the_poll_and_the_gateways_own_change_share_one_id() -> None:
    # Echo suppression by id: the poll meets the own write's row and stores nothing new.
    assert polled_event(TICKET).external_id == own_event("cv-1", AT).external_id
    assert polled_event(TICKET).external_id == polled_id("cv-1", AT)


def test_a_listed_ticket_in_an_old_shape_is_read_afresh() -> None:
    polled = {"ticketId": "cv-1", "modifiedAt": AT.isoformat(), "ticket": {"id": "cv-1"}}
    assert decode_event("ticket.polled", polled) == TicketPolled(ticket_id="cv-1", modified_at=AT)


def test_a_retried_polled_change_forgets_its_listed_ticket() -> None:
    stored = polled_event(TICKET)
    first = stored_event(_row(stored.event_type, stored.payload))
    again = stored_event(_row(stored.event_type, stored.payload, attempts=1))
    assert isinstance(first, TicketPolled)
    assert first.ticket == TICKET
    assert isinstance(again, TicketPolled)
    assert again.ticket is None


@pytest.mark.parametrize(
    ("event_type", "payload", "says"),
    [
        ("ticket.deleted", {"data": {"ticketId": "cv-1"}}, "'ticket.deleted'"),
        ("ticket.updated", {"data": {"ticketId": "cv-1"}}, "missing required field `id`"),
        ("ticket.attachment.created", {"id": "e", "occurredAt": "soon", "data": {}}, "datetime"),
    ],
)
def test_an_unknown_or_malformed_event_is_a_clear_error(
    event_type: str, payload: dict[str, Any], says: str
) -> None:
    with pytest.raises(UnknownEvent, match="not an inbound event the gateway knows") as raised:
        decode_event(event_type, payload)
    assert says in str(raised.value)
    # The per-ticket job parks it with that reason (and the ticket's later events after it).
    with pytest.raises(Park, match="not an inbound event the gateway knows"):
        stored_event(_row(event_type, payload))


def test_a_callback_without_its_message_id_is_still_its_kind() -> None:
    # casavi may leave ``messageId`` out: the handler then reconciles the whole ticket.
    envelope = {"id": "e", "occurredAt": AT, "data": {"ticketId": "cv-1"}}
    event = decode_event("ticket.attachment.created", envelope)
    assert event == AttachmentCreated(id="e", occurred_at=AT, data=CallbackRefs(ticket_id="cv-1"))


def _builtins(view: CasaviTicketView) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(view)  # type: ignore[no-any-return]
