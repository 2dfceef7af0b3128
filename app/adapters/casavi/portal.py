"""``CasaviPortal``: the outbound port (``sync.ports.Portal``) implemented with casavi.

``prepare`` maps a record for casavi - its own id and every id it names come from the
identity map (``mapping``) - and returns the write, which knows what to do for each
``presence``:

- ``new``: create; casavi holding the reference id already (409: sent before a crash made
  the ledger forget it) is adopted - updated in place, never deleted and created again;
- ``held``: update in place; a record deleted in casavi meanwhile (404) is created again;
- ``unknown``: a create may have happened unrecorded (or the gateway lost its state): look
  first, or update (a PUT or PATCH, which casavi answers 404 when it has nothing).

Posts (T5) are never edited in casavi (an edit notifies nobody): a changed post is replaced,
one casavi holds already is adopted when it says the same. Ticket messages (N1, T8) are
edited in place (``ticketcomment`` update, casavi-api.md §8).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from app.adapters.casavi import mapping
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.errors import CasaviConflict, CasaviNotFound
from app.adapters.casavi.resources import Resource
from app.adapters.casavi.wire_tickets import PostWrite, TicketMessageCreate
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalNote, PortalTicket
from app.sync.ports import PortalRecord, PortalWrite, Presence

Mapping = Callable[[Any, str, IdentityMap], Any]


def _same_post(found: PostWrite, post: PostWrite) -> bool:
    return all(getattr(found, name) == getattr(post, name) for name in PostWrite.__struct_fields__)


class CasaviPortal:
    def __init__(self, client: CasaviClient, post_author_id: str | None = None) -> None:
        c = self._client = client
        # Signs house notices and messages that have no author casavi knows: the ticket
        # user (rule C11).
        self._post_author = post_author_id
        # entity kind -> (casavi collection, mapping of the record, its casavi id, the map)
        self._targets: dict[EntityKind, tuple[Resource[Any, Any], Mapping]] = {
            EntityKind.OBJECT: (c.properties, mapping.to_property),
            EntityKind.UNIT: (c.units, mapping.to_unit),
            EntityKind.PERSON: (c.contacts, mapping.to_contact),
            EntityKind.OWNER: (c.contacts, mapping.to_owner_or_caretaker),  # M1
            EntityKind.CARETAKER: (c.contacts, mapping.to_owner_or_caretaker),  # M2
            EntityKind.USER: (c.staff, mapping.to_staff),
            EntityKind.TEAM: (c.staff_roles, mapping.to_role),
            EntityKind.OBJECT_ROLE: (c.staff_roles, mapping.to_object_role),  # M4
            EntityKind.TICKET_TYPE: (c.ticket_types, mapping.to_ticket_type),
            EntityKind.TICKET_STATUS: (c.ticket_statuses, mapping.to_status),
            EntityKind.TICKET_PRIORITY: (c.ticket_priorities, mapping.to_priority),
        }

    def prepare(self, key: RecordKey, record: PortalRecord, ids: IdentityMap) -> PortalWrite:
        ref = ids.casavi_id(key)
        if key.kind in self._targets:
            resource, to_wire = self._targets[key.kind]
            return _Upsert(resource, to_wire(record, ref, ids), ref)
        if isinstance(record, PortalTicket) and record.kind == "bulletin_board":
            post = mapping.to_post(record, ref, self._post_author, ids)
            return _Post(self._client, post, ref)
        if isinstance(record, PortalTicket):
            return _Ticket(self._client, record, ref, ids)
        if isinstance(record, PortalNote):
            # N1 (the notes stage resolved the author) and T8 (the ticket's responsible
            # user, else the ticket user C11).
            author = record.author_user_no or self._post_author
            if author is None:
                raise ValueError(f"{key.ledger_key} has no author in casavi (set the ticket user)")
            ticket, message = mapping.to_ticket_message(record, ref, author, ids)
            return _Message(self._client, ticket, message)
        raise ValueError(f"no casavi mapping for {key.kind.value} records")

    async def remove(self, key: RecordKey, *, ids: IdentityMap) -> None:
        ref = ids.casavi_id(key)
        if key.kind in (EntityKind.NOTE, EntityKind.WORK_ORDER_NOTE):
            # A message once shown on the ticket stays: the gateway does not withdraw what a
            # tenant has read (the ledger says why it is no longer sent).
            return
        if key.kind is EntityKind.TICKET:
            # T5: a closed house notice leaves the board. A ticket that left the eligible
            # set is closed, never removed: the tenant keeps the conversation.
            if not await self._client.posts.remove(ref):
                with suppress(CasaviNotFound):
                    await self._client.tickets.close(ref)
            return
        delete: Callable[[str], Awaitable[bool]] = self._targets[key.kind][0].delete
        await delete(ref)

    async def verify(self) -> None:
        # One authenticated read of the smallest page: proves the token and the access.
        await self._client.properties.first_page(limit=1)

    async def is_empty(self) -> bool:
        return not await self._client.properties.first_page(limit=1)


class _Upsert:
    """Master data and reference data: PUT to update, POST to create."""

    def __init__(self, resource: Resource[Any, Any], item: Any, ref: str) -> None:
        self._resource, self._item, self._ref = resource, item, ref

    async def __call__(self, presence: Presence) -> str:
        resource, item = self._resource, self._item
        if presence == "new":
            try:
                await resource.create(item)
            except CasaviConflict:  # casavi has it already: adopt it, updated in place
                await resource.update(item)
            return self._ref
        try:
            await resource.update(item)
        except CasaviNotFound:  # deleted in casavi meanwhile, or never created
            await resource.create(item)
        return self._ref


class _Ticket:
    """A ticket (T3), by its casavi id (a tenant's ticket keeps casavi's): PATCH to change,
    closed when iX-Haus closed it."""

    def __init__(
        self, client: CasaviClient, record: PortalTicket, ref: str, ids: IdentityMap
    ) -> None:
        self._tickets = client.tickets
        self._create = mapping.to_ticket(record, ref, ids)
        self._update = mapping.to_ticket_update(record, ref, ids)
        self._ref, self._closed = ref, record.closed

    async def __call__(self, presence: Presence) -> str:
        tickets, ref = self._tickets, self._ref
        if presence == "new":
            try:
                held = await tickets.create(self._create)
            except CasaviConflict:
                held = await tickets.change(ref, self._update)
        else:
            try:
                held = await tickets.change(ref, self._update)
            except CasaviNotFound:
                held = await tickets.create(self._create)
        if self._closed and held.closed_at is None:
            await tickets.close(ref)
        return ref


class _Post:
    """A house notice on the bulletin board (T5)."""

    def __init__(self, client: CasaviClient, post: PostWrite, ref: str) -> None:
        self._posts, self._post, self._ref = client.posts, post, ref

    async def __call__(self, presence: Presence) -> str:
        posts, post, ref = self._posts, self._post, self._ref
        if presence == "held":
            await posts.remove(ref)  # changed in iX-Haus: posts are replaced, not edited
        elif presence == "unknown":
            found = await posts.find(ref)
            if found is not None and _same_post(found, post):
                return ref
            if found is not None:
                await posts.remove(ref)
        try:
            await posts.create(post)
        except CasaviConflict:
            # casavi has a post with this reference id already: adopt it when it says what
            # we would post, else replace it.
            found = await posts.find(ref)
            if found is not None and _same_post(found, post):
                return ref
            await posts.remove(ref)
            await posts.create(post)
        return ref


class _Message:
    """A public message on a ticket (N1 note, T8 commissioning note), edited in place."""

    def __init__(self, client: CasaviClient, ticket: str, message: TicketMessageCreate) -> None:
        self._tickets, self._ticket, self._message = client.tickets, ticket, message

    async def __call__(self, presence: Presence) -> str:
        tickets, ticket, message = self._tickets, self._ticket, self._message
        if presence == "new":
            try:
                await tickets.add_message(ticket, message)
                return message.id
            except CasaviConflict:
                pass  # written before the ledger knew: adopted below, edited if it differs
        elif presence == "held":
            try:  # an edited note: the message changes in place
                await tickets.update_message(ticket, message.id, message.content)
                return message.id
            except CasaviNotFound:
                await tickets.add_message(ticket, message)
                return message.id
        try:
            found = await tickets.get_message(ticket, message.id)
        except CasaviNotFound:
            await tickets.add_message(ticket, message)
            return message.id
        if found.content != message.content:
            await tickets.update_message(ticket, message.id, message.content)
        return message.id
