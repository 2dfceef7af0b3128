"""Every path the gateway sends to casavi, named once, with the contract's operation ids.

casavi's v2 reference for tickets and their messages is not public (openapi/casavi.yaml marks
them inferred): the first real connection may show other names - casavi's own model calls a
ticket's messages ``ticketcomment`` (casavi-api.md §8). A rename is then one change here (or
one ``CasaviRoutes(...)`` given to ``CasaviClientConfig.routes``); resources, the inbound
reader, the live contract check and the simulator's variants all take the names from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CasaviRoutes:
    properties: str = "/v2/properties"
    units: str = "/v2/units"
    contacts: str = "/v2/contacts"
    staff: str = "/v2/staff"
    staff_roles: str = "/v2/staff-roles"
    ticket_types: str = "/v2/ticket-types"
    ticket_statuses: str = "/v2/ticket-statuses"
    ticket_priorities: str = "/v2/ticket-priorities"
    tickets: str = "/v2/tickets"
    # Path segments below one ticket: /v2/tickets/{ticketId}/<segment>
    ticket_messages: str = "messages"
    ticket_attachments: str = "attachments"
    ticket_close: str = "close"
    posts: str = "/v2/posts"
    documents: str = "/v2/documents"
    # Below one document: /v2/documents/{documentId}/<segment>
    document_file: str = "file"


@dataclass(frozen=True, slots=True)
class Nouns:
    """How the contract's operation ids name a collection: ``list<plural>``,
    ``get|create|update|delete<singular>``."""

    singular: str
    plural: str

    def op(self, verb: str) -> str:
        return f"{verb}{self.plural if verb == 'list' else self.singular}"


NOUNS = {
    "properties": Nouns("Property", "Properties"),
    "units": Nouns("Unit", "Units"),
    "contacts": Nouns("Contact", "Contacts"),
    "staff": Nouns("Staff", "Staff"),
    "staff_roles": Nouns("StaffRole", "StaffRoles"),
    "ticket_types": Nouns("TicketType", "TicketTypes"),
    "ticket_statuses": Nouns("TicketStatus", "TicketStatuses"),
    "ticket_priorities": Nouns("TicketPriority", "TicketPriorities"),
    "tickets": Nouns("Ticket", "Tickets"),
    "posts": Nouns("Post", "Posts"),
    "documents": Nouns("Document", "Documents"),
}
