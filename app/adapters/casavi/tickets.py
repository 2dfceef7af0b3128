"""Tickets (Vorgänge), their messages and attachments, and bulletin-board posts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import msgspec

from app.adapters.casavi.documents import Documents
from app.adapters.casavi.errors import NotInContract
from app.adapters.casavi.http import CasaviHttp
from app.adapters.casavi.pagination import iterate_pages
from app.adapters.casavi.resources import Resource, create_once, find_or_none, iso, ref_path
from app.adapters.casavi.wire_tickets import (
    Document,
    Post,
    PostWrite,
    Ticket,
    TicketClose,
    TicketCreate,
    TicketMessage,
    TicketMessageCreate,
    TicketMessageUpdate,
    TicketUpdate,
    Visibility,
)

TICKETS = "/v2/tickets"


class Tickets(Resource[Ticket, TicketCreate]):
    def __init__(self, http: CasaviHttp, documents: Documents) -> None:
        super().__init__(http, TICKETS, Ticket)
        self._documents = documents

    def modified_since(self, when: datetime) -> AsyncIterator[Ticket]:
        """Tickets changed after ``when`` (exclusive), by ``modifiedAt`` then ``internalId``.

        A ticket's ``modifiedAt`` also moves when a message, an attachment or a rating is
        added. Nothing changed = one request (an empty page). Pages are by offset: a ticket
        changed mid-listing moves to the end and may push one other past a page boundary, so
        when a listed ``modifiedAt`` is later than the listing's start, list again from the
        same cursor (and keep an overlap window).
        """
        params = {"modifiedAfter": iso(when)}
        return iterate_pages(self._http, TICKETS, Ticket, params)

    async def update(self, item: TicketCreate) -> Ticket:
        raise NotInContract("tickets change by PATCH: use change()")

    async def remove(self, ref: str) -> bool:
        """Delete the ticket with its messages (casavi-api.md §8: ``ticket`` remove).
        True if casavi removed it, False if it was not there (already removed). Tickets the
        gateway is done with are closed (``close()``), not removed."""
        return await self.delete(ref)

    async def change(self, ref: str, changes: TicketUpdate) -> Ticket:
        """Change only the fields set in ``changes`` (PATCH)."""
        response = await self._http.request(
            "PATCH", ref_path(TICKETS, ref), json=msgspec.json.encode(changes)
        )
        return self._http.decode(response, Ticket)

    async def close(self, ref: str, closed_at: datetime | None = None) -> Ticket:
        # Closing a closed ticket is a no-op in the contract, so retrying is safe.
        payload = msgspec.json.encode(TicketClose(closed_at=closed_at))
        response = await self._http.request("POST", ref_path(TICKETS, ref, "close"), json=payload)
        return self._http.decode(response, Ticket)

    def messages(
        self, ticket: str, *, visibility: Visibility | None = None
    ) -> AsyncIterator[TicketMessage]:
        """Messages and internal notes of a ticket, oldest first; ``visibility`` filters.
        Internal notes written in casavi never go to iX-Haus (rule N2)."""
        params = None if visibility is None else {"visibility": visibility}
        path = ref_path(TICKETS, ticket, "messages")
        return iterate_pages(self._http, path, TicketMessage, params)

    async def get_message(self, ticket: str, message: str) -> TicketMessage:
        response = await self._http.request("GET", ref_path(TICKETS, ticket, "messages", message))
        return self._http.decode(response, TicketMessage)

    async def update_message(self, ticket: str, message: str, content: str) -> TicketMessage:
        """Change a message's content (an edited note); author, visibility and time stay.
        Sending the same content again changes nothing, so retrying is safe."""
        payload = msgspec.json.encode(TicketMessageUpdate(content=content))
        response = await self._http.request(
            "PATCH", ref_path(TICKETS, ticket, "messages", message), json=payload
        )
        return self._http.decode(response, TicketMessage)

    async def add_message(self, ticket: str, message: TicketMessageCreate) -> TicketMessage:
        """Write a public message or an internal note (N2), at most once per reference id."""
        return await create_once(
            self._http,
            ref_path(TICKETS, ticket, "messages"),
            TicketMessage,
            lambda: find_or_none(lambda: self.get_message(ticket, message.id)),
            json=msgspec.json.encode(message),
        )

    def attachments(self, ticket: str) -> AsyncIterator[Document]:
        return iterate_pages(self._http, ref_path(TICKETS, ticket, "attachments"), Document)

    def attachment_stream(
        self, document: str
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """An attachment's bytes, streamed (attachments are documents with a ``ticketId``;
        a message lists its own under ``attachments[].documentId``)."""
        return self._documents.stream(document)

    async def download_attachment(self, document: str, target: Path) -> int:
        return await self._documents.download(document, target)


class Posts(Resource[Post, PostWrite]):
    """Bulletin-board posts (rule T5): created, read and removed; never edited."""

    def __init__(self, http: CasaviHttp) -> None:
        super().__init__(http, "/v2/posts", Post)

    async def update(self, item: PostWrite) -> Post:
        raise NotInContract("edits do not notify anybody: remove and create instead")

    def list(
        self, *, modified_after: datetime | None = None, **filters: str | int | bool
    ) -> AsyncIterator[Post]:
        raise NotInContract("the contract has no list of posts")

    async def remove(self, ref: str) -> bool:
        return await self.delete(ref)
