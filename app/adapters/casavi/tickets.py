"""Tickets (Vorgänge), their messages and attachments, and bulletin-board posts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
import msgspec

from app.adapters.casavi import answers
from app.adapters.casavi.answers import Deviant
from app.adapters.casavi.documents import Documents
from app.adapters.casavi.errors import NotInContract
from app.adapters.casavi.http import CasaviHttp
from app.adapters.casavi.pagination import iterate_pages
from app.adapters.casavi.resources import Resource, create_once, find_or_none, iso, ref_path
from app.adapters.casavi.routes import NOUNS
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

T = TypeVar("T")

OwnWrite = Callable[[str, datetime], None]


class OwnWrites:
    """Tells observers the ``modifiedAt`` casavi gave each change this client made to a
    ticket (the inbound poll then knows its own changes and reads nothing for them)."""

    def __init__(self) -> None:
        self._observers: list[OwnWrite] = []

    def observe(self, observer: OwnWrite) -> None:
        self._observers.append(observer)

    def saw(self, ticket: str, stamp: datetime | None) -> None:
        if stamp is None:
            return
        for observer in self._observers:
            observer(ticket, stamp)


class Tickets(Resource[Ticket, TicketCreate]):
    def __init__(self, http: CasaviHttp, documents: Documents, own: OwnWrites) -> None:
        routes = http.config.routes
        super().__init__(http, routes.tickets, Ticket, NOUNS["tickets"])
        self._documents = documents
        self._own = own
        self._base = routes.tickets
        self._messages = routes.ticket_messages

    def _messages_path(self, ticket: str, *message: str) -> str:
        return ref_path(self._base, ticket, self._messages, *message)

    def _answer(self, response: httpx.Response, into: type[T], operation: str) -> T:
        return answers.decode(response, into, operation, self._http.config.system)

    def modified_since(
        self,
        when: datetime,
        *,
        on_deviant: Deviant | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> AsyncIterator[Ticket]:
        """Tickets changed after ``when`` (exclusive), by ``modifiedAt`` then ``internalId``.

        A ticket's ``modifiedAt`` also moves when a message, an attachment or a rating is
        added. Nothing changed = one request (an empty page). Pages are by offset: a ticket
        changed mid-listing moves to the end and may push one other past a page boundary, so
        when a listed ``modifiedAt`` is later than the listing's start, list again from the
        same cursor (and keep an overlap window). ``on_deviant`` names a listed ticket that
        does not match the contract (see ``iterate_pages``); ``on_response`` sees each page's
        HTTP answer (its ``Date`` is casavi's clock).
        """
        params = {"modifiedAfter": iso(when)}
        return iterate_pages(
            self._http,
            self._base,
            Ticket,
            params,
            operation="listTickets",
            on_deviant=on_deviant,
            on_response=on_response,
        )

    async def create(self, item: TicketCreate) -> Ticket:
        created = await super().create(item)
        if created.created_at == created.modified_at:  # ours, untouched since (not adopted)
            self._own.saw(created.id, created.modified_at)
        return created

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
            "PATCH", ref_path(self._base, ref), json=msgspec.json.encode(changes)
        )
        changed = self._answer(response, Ticket, "updateTicket")
        self._own.saw(changed.id, changed.modified_at)
        return changed

    async def close(self, ref: str, closed_at: datetime | None = None) -> Ticket:
        # Closing a closed ticket is a no-op in the contract, so retrying is safe.
        payload = msgspec.json.encode(TicketClose(closed_at=closed_at))
        path = ref_path(self._base, ref, self._http.config.routes.ticket_close)
        response = await self._http.request("POST", path, json=payload)
        closed = self._answer(response, Ticket, "closeTicket")
        if closed.closed_at is not None and closed.closed_at == closed.modified_at:
            # The close is the ticket's last change (a no-op close may answer with a
            # tenant's later change: that one differs and is left to the poll).
            self._own.saw(closed.id, closed.modified_at)
        return closed

    def messages(
        self,
        ticket: str,
        *,
        visibility: Visibility | None = None,
        on_deviant: Deviant | None = None,
    ) -> AsyncIterator[TicketMessage]:
        """Messages and internal notes of a ticket, oldest first; ``visibility`` filters.
        Internal notes written in casavi never go to iX-Haus (rule N2)."""
        params = None if visibility is None else {"visibility": visibility}
        return iterate_pages(
            self._http,
            self._messages_path(ticket),
            TicketMessage,
            params,
            operation="listTicketMessages",
            on_deviant=on_deviant,
        )

    async def get_message(self, ticket: str, message: str) -> TicketMessage:
        response = await self._http.request("GET", self._messages_path(ticket, message))
        return self._answer(response, TicketMessage, "getTicketMessage")

    async def update_message(self, ticket: str, message: str, content: str) -> TicketMessage:
        """Change a message's content (an edited note); author, visibility and time stay.
        Sending the same content again changes nothing, so retrying is safe."""
        payload = msgspec.json.encode(TicketMessageUpdate(content=content))
        response = await self._http.request(
            "PATCH", self._messages_path(ticket, message), json=payload
        )
        edited = self._answer(response, TicketMessage, "updateTicketMessage")
        self._own.saw(ticket, edited.edited_at)
        return edited

    async def add_message(self, ticket: str, message: TicketMessageCreate) -> TicketMessage:
        """Write a public message or an internal note (N2), at most once per reference id."""
        written = await create_once(
            self._http,
            self._messages_path(ticket),
            TicketMessage,
            lambda: find_or_none(lambda: self.get_message(ticket, message.id)),
            json=msgspec.json.encode(message),
            operation="createTicketMessage",
        )
        # The ticket's modifiedAt becomes the message's createdAt (contract).
        self._own.saw(ticket, written.created_at)
        return written

    def attachments(self, ticket: str) -> AsyncIterator[Document]:
        path = ref_path(self._base, ticket, self._http.config.routes.ticket_attachments)
        return iterate_pages(self._http, path, Document, operation="listTicketAttachments")

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
        super().__init__(http, http.config.routes.posts, Post, NOUNS["posts"])

    async def update(self, item: PostWrite) -> Post:
        raise NotInContract("edits do not notify anybody: remove and create instead")

    def list(
        self, *, modified_after: datetime | None = None, **filters: str | int | bool
    ) -> AsyncIterator[Post]:
        raise NotInContract("the contract has no list of posts")

    async def remove(self, ref: str) -> bool:
        return await self.delete(ref)
