"""``CasaviInbound``: casavi's ticket side as the inbound flow reads it (``CasaviTickets``).

The wire Structs stay here: the flow sees ``CasaviTicketView`` and friends, so a different
real casavi shape is a change of this module and ``wire_tickets.py`` only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

from app.adapters.casavi.answers import CasaviContractDeviation
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.errors import CasaviNotFound
from app.adapters.casavi.wire_tickets import Document, Ticket, TicketMessage, TicketUpdate
from app.sync.ports import CasaviAttachmentView, CasaviMessageView, CasaviTicketView


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _midnight(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value[:10]), time(), tzinfo=UTC)


def ticket_view(ticket: Ticket) -> CasaviTicketView:
    rating = ticket.rating
    return CasaviTicketView(
        id=ticket.id,
        origin=ticket.origin,
        ticket_type_id=ticket.ticket_type_id,
        subject=ticket.subject,
        property_id=ticket.property_id,
        modified_at=ticket.modified_at,
        created_at=ticket.created_at,
        description=ticket.description,
        unit_id=ticket.unit_id,
        reporter_contact_id=ticket.reporter_contact_id,
        status_id=ticket.status_id,
        priority_id=ticket.priority_id,
        responsible_staff_id=ticket.responsible_staff_id,
        responsible_role_id=ticket.responsible_role_id,
        due_from=_day(ticket.due_from),
        due_until=_day(ticket.due_until),
        visibility=ticket.visibility,
        rating_stars=rating.stars if rating else None,
        rating_comment=rating.comment if rating else None,
        rated_at=rating.rated_at if rating else None,
    )


def message_view(message: TicketMessage) -> CasaviMessageView:
    uploaded_by = "tenant" if message.author_type == "contact" else "manager"
    return CasaviMessageView(
        id=message.id,
        ticket_id=message.ticket_id,
        visibility=message.visibility,
        author_type=message.author_type,
        content=message.content,
        written_at=message.written_at,
        author_id=message.author_id,
        created_at=message.created_at,
        edited_at=message.edited_at,
        attachments=tuple(
            CasaviAttachmentView(
                id=a.document_id,
                ticket_id=message.ticket_id,
                file_name=a.file_name,
                size=a.size,
                created_at=message.created_at,
                uploaded_by=uploaded_by,
            )
            for a in message.attachments
        ),
    )


def deviant_ticket(raw: msgspec.Raw, error: CasaviContractDeviation) -> CasaviTicketView | None:
    """A listed ticket outside the contract, named so its processing fails with the reason
    (None when not even its id can be read: it is reported and left out)."""
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    ident = value.get("id") if isinstance(value, dict) else None
    if not isinstance(ident, str) or not ident:
        return None
    try:
        modified = datetime.fromisoformat(str(value.get("modifiedAt")).replace("Z", "+00:00"))
    except ValueError:
        modified = datetime.now(UTC)
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    return CasaviTicketView(
        id=ident,
        origin="",
        ticket_type_id="",
        subject="",
        property_id="",
        modified_at=modified,
        created_at=modified,
        deviation=error.deviation.describe(),
    )


def _fail(_: msgspec.Raw, error: CasaviContractDeviation) -> None:
    raise error  # a deviating message fails its ticket's event (parked with the reason)


def attachment_view(document: Document) -> CasaviAttachmentView:
    return CasaviAttachmentView(
        id=document.id,
        ticket_id=document.ticket_id,
        file_name=document.file_name,
        size=document.size,
        created_at=document.created_at,
        uploaded_by=document.uploaded_by,
    )


# Two-way field (app.domain.conflicts) -> casavi ticket field; references are the ids the
# outbound mapping gives (status, staff and role ids are iX-Haus numbers).
_FIELD_NAMES = {
    "status": "status_id",
    "responsible_user": "responsible_staff_id",
    "responsible_team": "responsible_role_id",
    "due_from": "due_from",
    "due_until": "due_until",
    "subject": "subject",
    "description": "description",
}


NAME_CACHE = 10_000


class CasaviInbound:
    def __init__(self, client: CasaviClient) -> None:
        self._client = client
        self._server_now: datetime | None = None
        self._names: dict[tuple[str, str], str | None] = {}

    def on_own_write(self, observer: Callable[[str, datetime], None]) -> None:
        """``observer(ticket, modifiedAt)`` after every change this client makes to a ticket."""
        self._client.own_writes.observe(observer)

    def server_now(self) -> datetime | None:
        """casavi's clock when the last listing began (the ``Date`` of its first page)."""
        return self._server_now

    def _saw(self, response: httpx.Response) -> None:
        if self._server_now is None:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self._server_now = parsedate_to_datetime(response.headers["date"])

    async def changed_since(self, when: datetime) -> AsyncIterator[CasaviTicketView]:
        self._server_now = None
        listed = self._client.tickets.modified_since(
            when, on_deviant=deviant_ticket, on_response=self._saw
        )
        async for ticket in listed:
            yield ticket if isinstance(ticket, CasaviTicketView) else ticket_view(ticket)

    async def ticket(self, ticket_id: str) -> CasaviTicketView | None:
        try:
            return ticket_view(await self._client.tickets.get(ticket_id))
        except CasaviNotFound:
            return None

    async def message(self, ticket_id: str, message_id: str) -> CasaviMessageView | None:
        try:
            return message_view(await self._client.tickets.get_message(ticket_id, message_id))
        except CasaviNotFound:
            return None

    async def public_messages(self, ticket_id: str) -> AsyncIterator[CasaviMessageView]:
        # rule N2: only public messages are asked for; internal casavi notes stay there.
        listed = self._client.tickets.messages(ticket_id, visibility="public", on_deviant=_fail)
        async for message in listed:
            yield message_view(message)

    async def attachment(self, document_id: str) -> CasaviAttachmentView | None:
        try:
            return attachment_view(await self._client.documents.get(document_id))
        except CasaviNotFound:
            return None

    async def attachments(self, ticket_id: str) -> AsyncIterator[CasaviAttachmentView]:
        async for document in self._client.tickets.attachments(ticket_id):
            yield attachment_view(document)

    async def author_name(self, author_type: str, author_id: str) -> str | None:
        # Read once per author and client: a poll finding k tenants' messages should not
        # read k contacts again and again (the poll's request budget).
        key = (author_type, author_id)
        if key not in self._names:
            if len(self._names) >= NAME_CACHE:
                self._names.clear()
            self._names[key] = await self._author_name(author_type, author_id)
        return self._names[key]

    async def _author_name(self, author_type: str, author_id: str) -> str | None:
        try:
            if author_type == "contact":
                contact = await self._client.contacts.get(author_id)
                parts = (contact.first_name, contact.last_name)
            elif author_type == "staff":
                staff = await self._client.staff.get(author_id)
                parts = (staff.first_name, staff.last_name)
            else:
                return None
        except CasaviNotFound:
            return None
        return " ".join(p for p in parts if p) or None

    async def change_fields(self, ticket_id: str, fields: dict[str, str | None]) -> None:
        values: dict[str, Any] = {}
        for name, value in fields.items():
            wire = _FIELD_NAMES[name]
            if name in ("due_from", "due_until"):
                values[wire] = _midnight(value)
            elif name == "subject":
                values[wire] = value or "-"
            else:
                values[wire] = value
        await self._client.tickets.change(ticket_id, TicketUpdate(**values))
