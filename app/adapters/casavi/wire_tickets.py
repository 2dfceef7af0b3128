"""Wire Structs for casavi's ticket side: reference data, tickets, messages, board posts,
documents and callback events. All of it is ``x-provenance: inferred`` in the contract.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from app.adapters.casavi.wire import NonEmpty, RefId, UtcDateTime, Wire
from app.domain.ids import CasaviId, EventId, FieldName

StatusType = Literal["OPEN", "IN_PROGRESS", "CLOSED"]
PriorityType = Literal["LOW", "NORMAL", "HIGH", "URGENT"]
Visibility = Literal["public", "internal"]
FieldValue = str | int | float | bool | None
FieldType = Literal["text", "textarea", "number", "date", "boolean", "select"]


class TicketFormField(Wire, omit_defaults=False):
    """One field of a ticket type's form; tickets carry values keyed by the field id."""

    id: RefId
    type: FieldType
    title: NonEmpty
    required: bool = False
    description: str | None = None
    options: list[str] = msgspec.field(default_factory=list)


class TicketTypeWrite(Wire):
    id: RefId
    name: NonEmpty
    category: str | None = None
    description: str | None = None
    # "property" = object notice to everybody in the object; tenants cannot create it (T6).
    audience: Literal["contact", "property"] = "contact"
    tenant_creatable: bool = True
    # Owned by the ERP: casavi users cannot edit the type.
    locked: bool = True
    notify_unregistered_by_email: bool = False  # T7
    notify_role_ids: list[RefId] = msgspec.field(default_factory=list)
    form_fields: list[TicketFormField] = msgspec.field(default_factory=list)


class TicketType(TicketTypeWrite, kw_only=True, omit_defaults=False):
    internal_id: int


class TicketStatusWrite(Wire):
    id: RefId
    name: NonEmpty
    type: StatusType


class TicketStatus(TicketStatusWrite, kw_only=True, omit_defaults=False):
    internal_id: int


class TicketPriorityWrite(Wire):
    id: RefId
    name: NonEmpty
    type: PriorityType


class TicketPriority(TicketPriorityWrite, kw_only=True, omit_defaults=False):
    internal_id: int


class TicketCreate(Wire):
    """The ticket fields of rule T3 under our reference id."""

    id: RefId
    ticket_type_id: RefId
    subject: NonEmpty
    property_id: RefId
    number: str | None = None
    description: str | None = None
    hint1: str | None = None
    hint2: str | None = None
    reporter_contact_id: RefId | None = None
    trade: str | None = None
    reported_at: UtcDateTime | None = None
    unit_id: RefId | None = None
    technical_object: str | None = None
    responsible_staff_id: RefId | None = None
    responsible_role_id: RefId | None = None
    due_from: UtcDateTime | None = None
    due_until: UtcDateTime | None = None
    status_id: RefId | None = None
    priority_id: RefId | None = None
    object_wide: bool = False  # T6
    # Tickets themselves can be internal (never shown to tenants), not only messages.
    visibility: Visibility = "public"
    fields: dict[str, FieldValue] = msgspec.field(default_factory=dict)  # form values by id
    # T7: casavi e-mails the ticket's contacts that have no portal account (inferred).
    notify_unregistered_by_email: bool = False


class TicketUpdate(Wire, forbid_unknown_fields=True):
    """A partial change: fields left UNSET are not sent and stay as they are."""

    ticket_type_id: RefId | UnsetType = UNSET
    subject: NonEmpty | UnsetType = UNSET
    property_id: RefId | UnsetType = UNSET
    number: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    hint1: str | UnsetType | None = UNSET
    hint2: str | UnsetType | None = UNSET
    reporter_contact_id: RefId | UnsetType | None = UNSET
    trade: str | UnsetType | None = UNSET
    reported_at: UtcDateTime | UnsetType | None = UNSET
    unit_id: RefId | UnsetType | None = UNSET
    technical_object: str | UnsetType | None = UNSET
    responsible_staff_id: RefId | UnsetType | None = UNSET
    responsible_role_id: RefId | UnsetType | None = UNSET
    due_from: UtcDateTime | UnsetType | None = UNSET
    due_until: UtcDateTime | UnsetType | None = UNSET
    status_id: RefId | UnsetType | None = UNSET
    priority_id: RefId | UnsetType | None = UNSET
    object_wide: bool | UnsetType = UNSET
    visibility: Visibility | UnsetType = UNSET
    fields: dict[str, FieldValue] | UnsetType = UNSET
    notify_unregistered_by_email: bool | UnsetType = UNSET


class TicketClose(Wire):
    closed_at: UtcDateTime | None = None


class TicketRating(Wire, omit_defaults=False):
    """A tenant's rating of how the ticket was handled."""

    stars: Annotated[int, msgspec.Meta(ge=1, le=5)]
    contact_id: RefId
    rated_at: UtcDateTime
    comment: str | None = None


class Ticket(TicketCreate, kw_only=True, omit_defaults=False):
    """A ticket as casavi shows it: ``id`` is the reference id (ours, or casavi-generated
    for tenant tickets), ``internalId`` casavi's own id. ``modifiedAt`` also moves when a
    message, an attachment or a rating is added."""

    internal_id: int
    origin: Literal["manager", "tenant"]  # manager = through the API or by staff
    created_at: UtcDateTime
    modified_at: UtcDateTime
    closed_at: UtcDateTime | None = None
    rating: TicketRating | None = None


class TicketMessageCreate(Wire):
    id: RefId
    author_id: RefId  # staff reference id
    visibility: Visibility  # internal notes never reach tenants (N2)
    content: NonEmpty
    written_at: UtcDateTime | None = None  # the author's time (N1); casavi defaults to now


class MessageAttachment(Wire, omit_defaults=False):
    """A document sent with a message; its bytes are at ``/v2/documents/{id}/file``."""

    document_id: RefId
    file_name: str
    size: int
    content_type: str = "application/octet-stream"


class TicketMessage(Wire, omit_defaults=False):
    id: RefId
    internal_id: int
    ticket_id: RefId
    author_type: Literal["staff", "contact", "system"]
    author_id: RefId | None
    visibility: Visibility
    content: str
    written_at: UtcDateTime
    created_at: UtcDateTime
    attachments: list[MessageAttachment] = msgspec.field(default_factory=list)
    edited_at: UtcDateTime | None = None  # set once the content was changed


class TicketMessageUpdate(Wire):
    """An edited message: only its content changes (``ticketcomment`` update, casavi-api.md §8)."""

    content: NonEmpty


class PostWrite(Wire):
    """A bulletin-board post (rule T5); ``authorId`` is a staff reference id (documented)."""

    id: RefId
    property_id: RefId
    author_id: RefId
    title: NonEmpty
    content: str
    kind: Literal["announcement", "appointment"] = "announcement"
    starts_at: UtcDateTime | None = None


class Post(PostWrite, kw_only=True, omit_defaults=False):
    internal_id: int
    created_at: UtcDateTime


class DocumentWrite(Wire):
    """Metadata sent as the ``metadata`` part of a document upload."""

    id: RefId
    name: NonEmpty
    file_name: NonEmpty
    content_type: str = "application/octet-stream"
    document_type_id: RefId | None = None
    property_id: RefId | None = None
    unit_id: RefId | None = None
    contact_id: RefId | None = None
    ticket_id: RefId | None = None
    # Rule D3: the document's own creation date (not the upload's).
    document_date: UtcDateTime | None = None


class Document(DocumentWrite, kw_only=True, omit_defaults=False):
    internal_id: int
    size: int
    created_at: UtcDateTime
    downloads: int = 0
    sha256: str | None = None
    uploaded_by: Literal["manager", "tenant"] = "manager"


EventType = Literal[
    "ticket.created",
    "ticket.updated",
    "ticket.rated",
    "ticket.message.created",
    "ticket.attachment.created",
]


class CallbackData(Wire):
    """Thin payload: reference ids only; the receiver fetches the current state. Every id
    has its declared pattern and length (``app.domain.ids``): anything else is a 400."""

    ticket_id: CasaviId
    message_id: CasaviId | UnsetType = UNSET
    document_id: CasaviId | UnsetType = UNSET
    changed_fields: Annotated[list[FieldName], msgspec.Meta(max_length=200)] | UnsetType = UNSET


class CallbackEvent(Wire):
    """The envelope casavi posts to our callback URL (webhook ``casaviEvent``)."""

    id: EventId
    type: EventType
    occurred_at: UtcDateTime
    data: CallbackData


__all__ = [
    "UNSET",
    "CallbackData",
    "CallbackEvent",
    "Document",
    "DocumentWrite",
    "MessageAttachment",
    "Post",
    "PostWrite",
    "Ticket",
    "TicketClose",
    "TicketCreate",
    "TicketFormField",
    "TicketMessage",
    "TicketMessageCreate",
    "TicketPriority",
    "TicketPriorityWrite",
    "TicketRating",
    "TicketStatus",
    "TicketStatusWrite",
    "TicketType",
    "TicketTypeWrite",
    "TicketUpdate",
]
