"""``CasaviClient``: the casavi adapter's one entry point (one per casavi account).

Build it once per process in the composition root and close it on shutdown::

    client = CasaviClient(CasaviClientConfig(base_url=..., key=..., secret=...))
    async for prop in client.properties.list(modified_after=since): ...
    await client.aclose()
"""

from __future__ import annotations

import httpx

from app.adapters.casavi.documents import Documents
from app.adapters.casavi.http import CasaviHttp
from app.adapters.casavi.resources import Resource
from app.adapters.casavi.routes import NOUNS
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.casavi.tickets import OwnWrites, Posts, Tickets
from app.adapters.casavi.wire import (
    Contact,
    ContactWrite,
    Property,
    PropertyWrite,
    Staff,
    StaffRole,
    StaffRoleWrite,
    StaffWrite,
    Unit,
    UnitWrite,
)
from app.adapters.casavi.wire_tickets import (
    TicketPriority,
    TicketPriorityWrite,
    TicketStatus,
    TicketStatusWrite,
    TicketType,
    TicketTypeWrite,
)
from app.adapters.http.client import HttpClient
from app.adapters.http.clock import SYSTEM_CLOCK, Clock


class CasaviClient(HttpClient[CasaviClientConfig, CasaviHttp]):
    engine = CasaviHttp

    def __init__(
        self,
        config: CasaviClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(config, transport=transport, clock=clock)
        http, r = self.http, config.routes
        self.properties: Resource[Property, PropertyWrite] = Resource(
            http, r.properties, Property, NOUNS["properties"]
        )
        self.units: Resource[Unit, UnitWrite] = Resource(http, r.units, Unit, NOUNS["units"])
        self.contacts: Resource[Contact, ContactWrite] = Resource(
            http, r.contacts, Contact, NOUNS["contacts"]
        )
        self.staff: Resource[Staff, StaffWrite] = Resource(http, r.staff, Staff, NOUNS["staff"])
        self.staff_roles: Resource[StaffRole, StaffRoleWrite] = Resource(
            http, r.staff_roles, StaffRole, NOUNS["staff_roles"]
        )
        self.ticket_types: Resource[TicketType, TicketTypeWrite] = Resource(
            http, r.ticket_types, TicketType, NOUNS["ticket_types"]
        )
        self.ticket_statuses: Resource[TicketStatus, TicketStatusWrite] = Resource(
            http, r.ticket_statuses, TicketStatus, NOUNS["ticket_statuses"]
        )
        self.ticket_priorities: Resource[TicketPriority, TicketPriorityWrite] = Resource(
            http, r.ticket_priorities, TicketPriority, NOUNS["ticket_priorities"]
        )
        # Changes this client makes to tickets, with casavi's modifiedAt (the inbound poll).
        self.own_writes = OwnWrites()
        self.documents = Documents(http, self.own_writes.saw)
        self.tickets = Tickets(http, self.documents, self.own_writes)
        self.posts = Posts(http)

    @property
    def authentications(self) -> int:
        """How often this client authenticated (for metrics and tests)."""
        return self.http.tokens.obtained

    async def authenticate(self) -> None:
        """Authenticate now (the connection check); raises ``CasaviAuthFailed`` if refused."""
        await self.http.tokens.current()
