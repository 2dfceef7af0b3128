"""Wire Structs for casavi's master data, auth and pages (contract: openapi/casavi.yaml).

Read Structs extend the write Structs with what casavi adds (``internalId``, links, flags).
New fields always get defaults, unknown fields are ignored, so a casavi release that adds
fields does not break decoding. Names are camelCase on the wire (``rename="camel"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

import msgspec

# Customer reference id ("Referenz ID"): ours to choose; documented as a free string.
RefId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
# casavi sends and expects ISO-8601 UTC; naive datetimes are refused.
UtcDateTime = Annotated[datetime, msgspec.Meta(tz=True)]
CustomValue = str | int | float | bool | None
# OWNER and RENTER are handled in public client code; other values may exist (inferred).
# OWNER and RENTER are seen in client code; CARETAKER (rule M2) is inferred.
ContractType = Literal["OWNER", "RENTER", "CARETAKER"]

T = TypeVar("T")


class Wire(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Base for every casavi wire Struct.

    Write Structs omit defaults (a request says only what it sets); read Structs and the
    small nested Structs set ``omit_defaults=False`` so the simulator, which answers with
    them, always sends every field the contract marks as required.
    """


class Links(Wire):
    next: str | None = None


class Page(Wire, Generic[T]):
    """A v2 list page: ``{"list": [...], "_links": {"next": url | null}}`` (documented)."""

    items: list[T] = msgspec.field(name="list")
    links: Links = msgspec.field(name="_links", default_factory=Links)


class ErrorBody(Wire):
    status: int
    message: str


class AuthResponse(Wire):
    token: NonEmpty
    expires_at: UtcDateTime

    def __repr__(self) -> str:  # the token never reaches a log
        return f"AuthResponse(token=***, expires_at={self.expires_at.isoformat()})"


class Address(Wire, omit_defaults=False):
    street: str
    units: list[RefId] = []


class Responsibility(Wire, omit_defaults=False):
    contact_id: RefId
    contact_internal_id: float
    contact_name: str
    role_name: str
    role_type: Literal["internal", "external"]
    email: str | None = None
    telephone: str | None = None


class PropertyWrite(Wire):
    id: RefId
    name: NonEmpty
    note: str | None = None
    country: str | None = None
    city: str | None = None
    postal_code: str | None = None
    number: str | None = None
    addresses: list[Address] = []
    custom_fields: dict[str, CustomValue] = {}


class Property(PropertyWrite, kw_only=True, omit_defaults=False):
    internal_id: int
    app_link: str
    msc_number: str | None = None
    msc_provider_name: str | None = None
    msc_provider_identifier: str | None = None
    images: list[str] = []
    responsibilities: list[Responsibility] = []


class UnitWrite(Wire):
    id: RefId
    property_id: RefId
    number: str | None = None
    description: str | None = None
    address: str | None = None
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None


class UnitContract(Wire, omit_defaults=False):
    """A contract as a unit lists it (inferred): who holds it, of which type, and when."""

    contact_id: RefId
    type: ContractType
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None


class Unit(UnitWrite, kw_only=True, omit_defaults=False):
    internal_id: int
    # Current contracts only, unless listed with ``includeInactiveContracts=true``.
    contracts: list[UnitContract] = []


class Contract(Wire, omit_defaults=False):
    type: ContractType
    property_id: RefId
    # Client code reads it; an OWNER of a whole property has none (inferred).
    unit_id: RefId | None
    start_date: UtcDateTime | None = None
    end_date: UtcDateTime | None = None
    rent: float | None = None
    deposit: float | None = None


class ContactWrite(Wire):
    id: RefId
    last_name: NonEmpty
    title: str | None = None
    salutation: str | None = None
    first_name: str | None = None
    company_name: str | None = None
    email: str | None = None
    telephone: str | None = None
    mobile: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    custom_fields: dict[str, CustomValue] = {}
    contracts: list[Contract] = []


class Contact(ContactWrite, kw_only=True, omit_defaults=False):
    internal_id: int
    # casavi's (v1) example has a company contact with no last name.
    last_name: str | None = None  # type: ignore[assignment]
    # casavi's own state, never written by us: has a portal account / was invited to one.
    is_registered: bool = False
    is_invited: bool = False
    app_link: str | None = None


class StaffAssignment(Wire, omit_defaults=False):
    property_id: RefId
    role_id: RefId


class StaffWrite(Wire):
    id: RefId
    last_name: NonEmpty
    email: Annotated[str, msgspec.Meta(min_length=3)]
    first_name: str | None = None
    telephone: str | None = None
    responsibilities: list[StaffAssignment] = []


class Staff(StaffWrite, kw_only=True, omit_defaults=False):
    internal_id: int


class StaffRoleWrite(Wire):
    """A casavi Mitarbeiterrolle; iX-Haus teams (rule M7) map onto roles."""

    id: RefId
    name: NonEmpty
    visible_in_portal: bool = False
    email: str | None = None
    telephone: str | None = None


class StaffRole(StaffRoleWrite, kw_only=True, omit_defaults=False):
    internal_id: int
