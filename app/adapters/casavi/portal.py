"""``CasaviPortal``: the outbound port (``sync.ports.Portal``) implemented with casavi.

Writes are idempotent by reference id: an update of a record casavi does not have becomes a
create, a create of one it has (409) becomes an update (a post, which casavi never edits, is
adopted when it says the same, else replaced), and a create whose answer was lost is looked
up by the client before it is repeated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from app.adapters.casavi import mapping
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.errors import CasaviConflict, CasaviNotFound
from app.adapters.casavi.resources import Resource
from app.adapters.casavi.wire_tickets import PostWrite
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalNote, PortalTicket
from app.sync.ports import PortalRecord


async def _upsert(resource: Any, item: Any, *, exists: bool) -> None:
    if exists:
        try:
            await resource.update(item)
        except CasaviNotFound:  # deleted in casavi meanwhile
            await resource.create(item)
        return
    try:
        await resource.create(item)
    except CasaviConflict:  # casavi has it already (e.g. the gateway's ledger was reset)
        await resource.update(item)


def _same_post(found: PostWrite, post: PostWrite) -> bool:
    return all(getattr(found, name) == getattr(post, name) for name in PostWrite.__struct_fields__)


def _plain(to_wire: Callable[[Any], Any]) -> Callable[[Any, str], Any]:
    """A mapping whose wire id is the record's own number (the reference id)."""
    return lambda record, _ref: to_wire(record)


class CasaviPortal:
    def __init__(self, client: CasaviClient, post_author_id: str | None = None) -> None:
        c = self._client = client
        # Signs house notices that have no responsible user (the ticket user, rule C11).
        self._post_author = post_author_id
        # entity kind -> (casavi collection, mapping from the canonical record and its ref id)
        self._targets: dict[EntityKind, tuple[Resource[Any, Any], Callable[[Any, str], Any]]] = {
            EntityKind.OBJECT: (c.properties, _plain(mapping.to_property)),
            EntityKind.UNIT: (c.units, _plain(mapping.to_unit)),
            EntityKind.PERSON: (c.contacts, _plain(mapping.to_contact)),
            EntityKind.OWNER: (c.contacts, mapping.to_owner_or_caretaker),  # M1
            EntityKind.CARETAKER: (c.contacts, mapping.to_owner_or_caretaker),  # M2
            EntityKind.USER: (c.staff, _plain(mapping.to_staff)),
            EntityKind.TEAM: (c.staff_roles, _plain(mapping.to_role)),
            EntityKind.OBJECT_ROLE: (c.staff_roles, mapping.to_object_role),  # M4
            EntityKind.TICKET_TYPE: (c.ticket_types, _plain(mapping.to_ticket_type)),
            EntityKind.TICKET_STATUS: (c.ticket_statuses, _plain(mapping.to_status)),
            EntityKind.TICKET_PRIORITY: (c.ticket_priorities, _plain(mapping.to_priority)),
        }

    async def put(
        self,
        key: RecordKey,
        record: PortalRecord,
        *,
        exists: bool = False,
        casavi_id: str | None = None,
    ) -> str:
        ref = key.reference_id
        if casavi_id and isinstance(record, PortalTicket) and record.kind != "bulletin_board":
            # A tenant's ticket keeps the id casavi gave it (the ledger holds it).
            ref = casavi_id
        if key.kind in self._targets:
            resource, to_wire = self._targets[key.kind]
            await _upsert(resource, to_wire(record, ref), exists=exists)
        elif isinstance(record, PortalNote) and key.kind is EntityKind.WORK_ORDER_NOTE:
            await self._put_commissioning_note(ref, record)
        elif isinstance(record, PortalTicket) and record.kind == "bulletin_board":
            await self._put_post(ref, mapping.to_post(record, self._post_author), exists=exists)
        elif isinstance(record, PortalTicket):
            await self._put_ticket(ref, record, exists=exists)
        elif isinstance(record, PortalNote):
            # N1: a ticket message, written at most once per reference id (messages are
            # never edited in casavi: an edited note changes nothing there). One casavi has
            # already (sent before a crash or a job's time limit made the ledger forget it)
            # is adopted.
            ticket = RecordKey.ticket(record.ticket_no).reference_id
            with suppress(CasaviConflict):
                await self._client.tickets.add_message(ticket, mapping.to_message(record, ref))
        else:
            raise ValueError(f"no casavi mapping for {key.kind.value} records")
        return ref

    async def _put_ticket(self, ref: str, record: PortalTicket, *, exists: bool) -> None:
        tickets = self._client.tickets
        if exists:
            try:
                await tickets.change(ref, mapping.to_ticket_update(record))
            except CasaviNotFound:
                await tickets.create(mapping.to_ticket(record))
        else:
            try:
                await tickets.create(mapping.to_ticket(record))
            except CasaviConflict:
                await tickets.change(ref, mapping.to_ticket_update(record))
        if record.closed:
            await tickets.close(ref)  # closing a closed ticket is a no-op

    async def _put_commissioning_note(self, ref: str, note: PortalNote) -> None:
        # T8: a public message on the ticket, signed by the ticket's responsible user or else
        # the ticket user (C11). casavi messages are never edited or deleted: once the note
        # is there (409), a later change of the template does not rewrite it.
        author = note.author_user_no or self._post_author
        if author is None:
            raise ValueError(f"commissioning note {ref} has no author (set the ticket user)")
        ticket = RecordKey.ticket(note.ticket_no).reference_id
        message = mapping.to_commissioning_message(note, ref, author)
        with suppress(CasaviConflict):
            await self._client.tickets.add_message(ticket, message)

    async def _put_post(self, ref: str, post: PostWrite, *, exists: bool) -> None:
        # Posts are never edited in casavi (an edit notifies nobody): replace the post.
        posts = self._client.posts
        if exists:
            await posts.remove(ref)
        try:
            await posts.create(post)
        except CasaviConflict:
            # casavi has a post with this reference id already (sent before a crash made
            # the ledger forget it, or the ledger was reset): adopt it when it says what we
            # would post, else replace it.
            found = await posts.find(ref)
            if found is not None and _same_post(found, post):
                return
            await posts.remove(ref)
            await posts.create(post)

    async def remove(self, key: RecordKey, *, casavi_id: str | None = None) -> None:
        ref = casavi_id or key.reference_id
        if key.kind is EntityKind.NOTE:
            return  # the contract cannot withdraw a ticket message; the ledger says why
        if key.kind is EntityKind.TICKET:
            # T5: a closed house notice leaves the board. casavi tickets are never deleted:
            # one that left the eligible set is closed.
            if not await self._client.posts.remove(ref):
                with suppress(CasaviNotFound):
                    await self._client.tickets.close(ref)
            return
        if key.kind is EntityKind.WORK_ORDER_NOTE:
            return  # T8: a message once shown on the ticket stays (casavi cannot delete it)
        delete: Callable[[str], Awaitable[bool]] = self._targets[key.kind][0].delete
        await delete(ref)
