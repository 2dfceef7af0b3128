"""What one inbound event does to iX-Haus. Every handler reads casavi's *current* state
(callbacks are thin) and writes idempotently (iX-Haus rows by ``source_ref``, note links,
the ledger), so a duplicated, reordered or re-run event ends in the same state.

An event that cannot be applied yet raises ``Park`` with the reason (an unknown object,
unit, reporter or ticket type: only records casavi got from us exist for the gateway).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.domain.records import InboundDocument, InboundNote, InboundTicket
from app.sync.inbound.errors import Ignored, Park
from app.sync.inbound.fields import apply_fields, ixhaus_fields
from app.sync.inbound.fingerprints import FingerprintFn
from app.sync.inbound.notes import ListedNotes, edited_message, note_field
from app.sync.inbound.polled import apply_polled
from app.sync.ports import (
    CasaviAttachmentView,
    CasaviMessageView,
    CasaviTickets,
    CasaviTicketView,
    InboundSettings,
    IxhausWriter,
    NoteLink,
)
from app.sync.ports.events import (
    AttachmentCreated,
    CallbackRefs,
    InboundEvent,
    MessageCreated,
    OwnWrite,
    TicketCreated,
    TicketPolled,
    TicketRated,
    TicketUpdated,
)
from app.sync.two_way import SystemConflicts, SystemLinks, SystemNoteLinks, SystemPortalActivity

log = logging.getLogger(__name__)

# Where a tenant's attachment stays: casavi's document (the bytes are not copied).
DOCUMENT_LOCATION = "casavi:/v2/documents/{id}/file"

Activity = Literal[
    "new ticket", "new message", "message edited", "status", "attachment", "rating", "changed"
]


@dataclass(frozen=True)
class Handlers:
    casavi: CasaviTickets
    writer: IxhausWriter
    # The system's stores, bound (``SystemTwoWay``).
    links: SystemLinks
    note_links: SystemNoteLinks
    conflicts: SystemConflicts
    activity: SystemPortalActivity
    settings: InboundSettings
    fingerprint: FingerprintFn

    # -- the entry point ------------------------------------------------------------------
    async def apply(self, event: InboundEvent) -> str:
        """Apply one event; return what was done (for logs and the API)."""
        try:
            match event:
                case TicketPolled():  # the default path: casavi offers no callbacks
                    return await apply_polled(self, event)
                case OwnWrite():
                    return ""  # the gateway's own change in casavi: nothing to apply
                case MessageCreated(data=CallbackRefs(message_id=str(message_id))):
                    number = await self._linked(event.ticket_id)
                    if number is None:
                        number = await self.ensure_ticket(await self._ticket(event.ticket_id))
                    return await self.message(number, event.ticket_id, message_id)
                case AttachmentCreated(data=CallbackRefs(document_id=str(document_id))):
                    number = await self._linked(event.ticket_id)
                    if number is None:
                        number = await self.ensure_ticket(await self._ticket(event.ticket_id))
                    return await self.attachment(number, event.ticket_id, document_id)
                case TicketCreated():
                    ticket = await self._ticket(event.ticket_id)
                    return f"ticket {await self.ensure_ticket(ticket)}"
                case TicketRated():
                    ticket = await self._ticket(event.ticket_id)
                    return await self.rating(await self.ensure_ticket(ticket), ticket)
                case TicketUpdated():
                    ticket = await self._ticket(event.ticket_id)
                    return await self.fields(await self.ensure_ticket(ticket), ticket)
                case MessageCreated() | AttachmentCreated():  # without its id: everything
                    return await self.reconcile(await self._ticket(event.ticket_id))
        except Ignored as ignored:
            return ignored.outcome

    async def _linked(self, ref: str) -> TicketNumber | None:
        """The common case (a tenant writes on a ticket iX-Haus has): no need to read the
        ticket itself, only the message or the attachment."""
        linked = await self.links.by_casavi_id(EntityKind.TICKET, ref)
        return None if linked is None else linked[0].ticket_number

    async def _ticket(self, ref: str) -> CasaviTicketView:
        """casavi's current ticket; ``Ignored`` for an internal one (rule N2)."""
        ticket = await self.casavi.ticket(ref)
        if ticket is None:
            raise Park(f"casavi has no ticket {ref}")
        if ticket.visibility == "internal":
            raise Ignored("internal casavi ticket: never comes to iX-Haus")  # rule N2
        return ticket

    async def reconcile(self, ticket: CasaviTicketView) -> str:
        """Everything casavi holds on the ticket: fields, rating, messages, attachments."""
        number = await self.ensure_ticket(ticket)
        done = [await self.fields(number, ticket), await self.rating(number, ticket)]
        messages = [message async for message in self.casavi.public_messages(ticket.id)]
        listed = await ListedNotes.read(self, [message.id for message in messages])
        for message in messages:
            done.append(await self.message(number, ticket.id, message.id, message, listed))
        async for attachment in self.casavi.attachments(ticket.id):
            done.append(await self.attachment(number, ticket.id, attachment.id, attachment))
        return "; ".join(d for d in done if d)

    # -- references through the ledger ----------------------------------------------------
    async def _resolve(self, kind: EntityKind, casavi_id: str | None, what: str) -> RecordKey:
        found = await self.links.by_casavi_id(kind, casavi_id) if casavi_id else None
        if found is None or found[1].state != "sent":
            raise Park(f"unknown {what} {casavi_id!r}: casavi did not get it from iX-Haus")
        return found[0]

    async def _optional(self, kind: EntityKind, casavi_id: str | None) -> str | None:
        if not casavi_id:
            return None
        found = await self.links.by_casavi_id(kind, casavi_id)
        return found[0].number if found is not None and found[1].state == "sent" else None

    # -- a tenant's new ticket (rule T10, C11) ---------------------------------------------
    async def ensure_ticket(self, ticket: CasaviTicketView) -> TicketNumber:
        """The iX-Haus number of the casavi ticket, creating it for a tenant's ticket;
        ``Ignored`` for any other ticket the gateway did not send."""
        linked = await self.links.by_casavi_id(EntityKind.TICKET, ticket.id)
        if linked is not None:
            return linked[0].ticket_number
        if ticket.origin != "tenant":
            raise Ignored("not a tenant's ticket and not one the gateway sent: ignored")
        type_key = await self._resolve(EntityKind.TICKET_TYPE, ticket.ticket_type_id, "type")
        object_key = await self._resolve(EntityKind.OBJECT, ticket.property_id, "object")
        unit_no = None
        if ticket.unit_id:
            unit_key = await self._resolve(EntityKind.UNIT, ticket.unit_id, "unit")
            if unit_key.parts[0] != object_key.number:
                raise Park(f"unit {ticket.unit_id!r} is not in object {ticket.property_id!r}")
            unit_no = unit_key.number
        reporter = await self._resolve(EntityKind.PERSON, ticket.reporter_contact_id, "reporter")
        inbound = InboundTicket(
            source_ref=ticket.id,
            type_no=type_key.number,
            subject=ticket.subject,
            object_no=object_key.number,
            reported_at=ticket.created_at,
            description=ticket.description,
            unit_no=unit_no,
            reporter_person_no=reporter.number,
            priority_no=await self._optional(EntityKind.TICKET_PRIORITY, ticket.priority_id),
        )
        number = await self.writer.insert_ticket(inbound)  # author: the ticket user (C11)
        held = await self.writer.ticket(number)
        # The base of conflict detection is what both sides now agree on.
        if held is not None:
            await self.conflicts.set_base(number, ixhaus_fields(held))
        # Linked as sent, with the fingerprint of what iX-Haus holds: the outbound run
        # recognises the ticket and never creates a second one in casavi.
        digest = await self.fingerprint(number) if held is not None else None
        await self.links.link(RecordKey.ticket(number), ticket.id, digest)
        await self.activity.record(number, ticket.created_at, "new ticket")
        return number

    # -- messages (rules N1, N2) and attachments ------------------------------------------
    async def message(
        self,
        number: TicketNumber,
        ref: str,
        message_id: str,
        known: CasaviMessageView | None = None,
        listed: ListedNotes | None = None,
    ) -> str:
        link = listed.links.get(message_id) if listed is not None else None
        if link is None:
            link = await self.note_links.by_casavi_message(message_id)
        if link is not None:
            # Written by the gateway itself (echo) or applied already; a tenant's message
            # seen again by the poll may have been edited in casavi meanwhile.
            if known is not None and link.origin == "casavi" and link.ixhaus_note_id:
                note_id = int(link.ixhaus_note_id)
                return await edited_message(self, number, note_id, known, listed)
            return ""
        message = known or await self.casavi.message(ref, message_id)
        if message is None:
            return f"message {message_id} is gone"
        if message.visibility != "public":
            return "internal casavi note: never comes to iX-Haus"  # rule N2
        note_id = await self.writer.insert_note(await self._authored(number, message))
        await self.note_links.record(
            NoteLink(
                ticket_number=str(number),
                ixhaus_note_id=str(note_id),
                casavi_message_id=message.id,
                origin="casavi",
            ),
        )
        # What both sides agree on: an edit on either side is measured against it.
        await self.conflicts.set_base(number, {note_field(note_id): message.content})
        await self.activity.record(number, message.written_at, "new message")
        return f"note {note_id}"

    async def _authored(self, number: TicketNumber, message: CasaviMessageView) -> InboundNote:
        """The note with its author (N1): a casavi staff member's user is the Erfasser; for a
        tenant, the ticket user (C11) with the tenant's person and name beside it."""
        user_no = person_no = name = None
        if message.author_id and message.author_type in ("staff", "contact"):
            kind = EntityKind.USER if message.author_type == "staff" else EntityKind.PERSON
            mapped = await self._optional(kind, message.author_id)
            if kind is EntityKind.USER:
                user_no = mapped
            else:
                person_no = mapped
            name = await self.casavi.author_name(message.author_type, message.author_id)
        return InboundNote(
            source_ref=message.id,
            ticket_no=number,
            created_at=message.written_at,
            content=message.content,
            author_user_no=user_no,
            author_person_no=person_no,
            author_name=name,
        )

    async def attachment(
        self,
        number: TicketNumber,
        ref: str,
        document_id: str,
        known: CasaviAttachmentView | None = None,
    ) -> str:
        attachment = known or await self.casavi.attachment(document_id)
        if attachment is None or attachment.ticket_id != ref:
            return f"attachment {document_id} is not on this ticket"
        if attachment.uploaded_by != "tenant":
            return ""  # the gateway's own upload (outbound documents): never written back
        document_id_ix = await self.writer.insert_ticket_document(
            InboundDocument(
                source_ref=attachment.id,
                ticket_no=number,
                name=attachment.file_name,
                created_at=attachment.created_at,
                size_bytes=attachment.size,
                content_location=DOCUMENT_LOCATION.format(id=attachment.id),
            )
        )
        await self.activity.record(number, attachment.created_at, "attachment")
        return f"document {document_id_ix}"

    async def rating(self, number: TicketNumber, ticket: CasaviTicketView) -> str:
        if ticket.rating_stars is None or ticket.rated_at is None:
            return ""
        await self.writer.set_rating(
            number, ticket.rating_stars, ticket.rating_comment, ticket.rated_at
        )
        await self.activity.record(number, ticket.rated_at, "rating")
        return f"rating {ticket.rating_stars}"

    # -- two-way fields and conflicts (``fields.py``) ----------------------------------------
    async def fields(self, number: TicketNumber, ticket: CasaviTicketView) -> str:
        return await apply_fields(self, number, ticket)

    async def optional_reference(self, kind: EntityKind, casavi_id: str | None) -> str | None:
        return await self._optional(kind, casavi_id)


def retry_delay_seconds(attempts: int, *, base: float = 30.0, cap: float = 3600.0) -> float:
    """Capped exponential backoff for a parked event: 30 s, 1 min, 2 min ... at most 1 h."""
    return float(min(cap, base * 2 ** min(attempts, 20)))
