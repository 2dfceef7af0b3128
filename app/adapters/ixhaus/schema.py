"""The iX-Haus interface schema: every table/view the gateway reads or writes, in Core.

iX-Haus's real Oracle schema is proprietary; an installation maps these logical tables onto
views over it. Owner/schema and each physical table name are configurable
(``IxhausSchemaConfig``); column names are the contract. Strings carry lengths so the DDL is
valid Oracle (VARCHAR2 needs one). Money is in cents, timestamps are stored as UTC.
The gateway never creates this schema in production; the sandbox generator does
(``metadata.create_all``) - hence no Alembic migration.

Ticket state (rule T1). A ticket is *open* unless one of these says it ended:

- ``tickets.closed_at`` is set -> closed;
- ``tickets.cancelled_at`` is set -> cancelled;
- its status (``tickets.status_no`` -> ``ticket_statuses.kind``) is ``closed`` or
  ``cancelled`` -> ended, even when iX-Haus left both dates empty.

Catalogue codes (person types, document types, ticket types, teams) are ``CODE_LENGTH`` (20)
characters wide, as wide as the configuration accepts them; a configuration is validated
against the type tables (``person_types``, ``document_types``, ``ticket_types``, ``teams``),
so a type can be enabled before the first record of it exists.

``ticket_statuses.kind`` is one of ``open`` / ``closed`` / ``cancelled`` (case-insensitive); a
status number without a row, or another kind, says nothing and the dates decide. The reader
joins the kind onto each ticket (``TicketRecord.status_kind``). A ticket ended by its status
alone has no end date: it is not sent on the first export (T1) and, once sent, is closed in
casavi (the C3 time window needs a date and so does not exclude it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.sql.schema import SchemaItem

from app.adapters.ixhaus.types import UTCDateTime
from app.domain.catalogue import CODE_LENGTH

LOGICAL_TABLES = (
    "objects",
    "units",
    "person_types",
    "persons",
    "partner_relations",
    "contracts",
    "owners",
    "caretakers",
    "users",
    "teams",
    "team_members",
    "object_rights",
    "object_responsibles",
    "ticket_types",
    "ticket_statuses",
    "ticket_priorities",
    "tickets",
    "notes",
    "work_orders",
    "document_types",
    "documents",
)


@dataclass(frozen=True)
class IxhausSchemaConfig:
    """Where the interface lives: Oracle owner/schema and physical table/view names."""

    schema: str | None = None
    table_names: Mapping[str, str] = field(default_factory=dict)
    prefix: str = "ixp_"

    def physical(self, logical: str) -> str:
        if logical not in LOGICAL_TABLES:
            raise KeyError(f"unknown iX-Haus interface table {logical!r}")
        return self.table_names.get(logical, f"{self.prefix}{logical}")


def _str(name: str, length: int, **kw: object) -> Column[str]:
    return Column(name, String(length), **kw)  # type: ignore[arg-type]


def _code(name: str, **kw: object) -> Column[str]:
    """A catalogue code (type, team): exactly as wide as the configuration accepts (C5-C8)."""
    return _str(name, CODE_LENGTH, **kw)


def _address() -> list[Column[str]]:
    return [_str("street", 100), _str("postcode", 10), _str("city", 60)]


def _person_fields() -> list[Column[str]]:
    return [
        _str("salutation", 30),
        _str("first_name", 100),
        _str("last_name", 100),
        _str("email", 254),
        _str("phone", 40),
        _str("iban", 34),
        _str("bic", 11),
        _str("account_holder", 100),
    ]


class IxhausTables:
    """The MetaData plus one attribute per logical table."""

    def __init__(self, config: IxhausSchemaConfig | None = None) -> None:
        self.config = config or IxhausSchemaConfig()
        self.metadata = MetaData(schema=self.config.schema)
        t = self._table
        self.objects = t(
            "objects",
            _str("object_no", 20, primary_key=True),
            _str("name", 120, nullable=False),
            _str("object_group", 60),
            Column("management_start", Date),
            *_address(),
        )
        self.units = t(
            "units",
            _str("object_no", 20, primary_key=True),
            _str("unit_no", 20, primary_key=True),
            _str("description", 120),
            *_address(),
            Column("start_date", Date),
            Column("end_date", Date),
        )
        # C5: the person types iX-Haus knows (validated against, whether in use or not).
        self.person_types = t(
            "person_types",
            _code("type_no", primary_key=True),
            _str("name", 100, nullable=False),
        )
        self.persons = t(
            "persons",
            _str("person_no", 20, primary_key=True),
            _code("person_type", nullable=False),
            *_person_fields(),
            Column("anonymised", Boolean, nullable=False, default=False),
            Column("partner_managed", Boolean, nullable=False, default=False),
        )
        self.partner_relations = t(
            "partner_relations",
            _str("person_no", 20, primary_key=True),
            _str("partner_no", 20, primary_key=True),
            _str("kind", 20, primary_key=True),  # co_resident | contract_partner (P5)
        )
        self.contracts = t(
            "contracts",
            _str("contract_no", 20, primary_key=True),
            _str("object_no", 20, nullable=False),
            _str("unit_no", 20, nullable=False),
            _str("person_no", 20, nullable=False),
            Column("rent_cents", BigInteger, nullable=False, default=0),
            Column("deposit_cents", BigInteger, nullable=False, default=0),
            Column("start_date", Date, nullable=False),
            Column("end_date", Date),
            Column("move_out_date", Date),
            Index(None, "person_no"),
        )
        self.owners = self._contact_table("owners")  # M1
        self.caretakers = self._contact_table("caretakers")  # M2
        self.users = t(
            "users",
            _str("user_no", 3, primary_key=True),  # three-digit user numbers (C11)
            _str("first_name", 100),
            _str("last_name", 100),
            _str("email", 254),
            _str("phone", 40),
            Column("active", Boolean, nullable=False, default=True),
            Column("plus_rights", Boolean, nullable=False, default=True),
        )
        self.teams = t(
            "teams", _code("team_no", primary_key=True), _str("name", 100, nullable=False)
        )
        self.team_members = t(
            "team_members",
            _code("team_no", primary_key=True),
            _str("user_no", 3, primary_key=True),
        )
        self.object_rights = t(
            "object_rights",
            _str("object_no", 20, primary_key=True),
            _str("user_no", 3, primary_key=True),
            _str("right_kind", 20, primary_key=True),
        )
        self.object_responsibles = t(
            "object_responsibles",
            _str("object_no", 20, primary_key=True),
            _str("user_no", 3, primary_key=True),
            _str("role", 60),
        )
        self.ticket_types = t(
            "ticket_types",
            _code("type_no", primary_key=True),
            _str("name", 100, nullable=False),
            # normal | locked (T4) | bulletin_board (T5) | object_notice (T6)
            _str("portal_mode", 20, nullable=False, default="normal"),
            Column("notify_unregistered", Boolean, nullable=False, default=False),  # T7
            Column("note_on_commissioning", Boolean, nullable=False, default=False),  # T8
            _str("note_template", 2000),
        )
        self.ticket_statuses = t(
            "ticket_statuses",
            _str("status_no", 20, primary_key=True),
            _str("name", 100, nullable=False),
            _str("kind", 20, nullable=False),
        )
        self.ticket_priorities = t(
            "ticket_priorities",
            _str("priority_no", 20, primary_key=True),
            _str("name", 100, nullable=False),
            _str("kind", 20, nullable=False),
        )
        self.tickets = t(
            "tickets",
            Column("ticket_no", Integer, Identity(start=1), primary_key=True),
            _code("type_no", nullable=False),
            _str("subject", 200, nullable=False),
            Column("description", Text),
            _str("hint1", 500),
            _str("hint2", 500),
            _str("reporter_person_no", 20),
            _str("trade", 60),
            Column("reported_at", UTCDateTime(), nullable=False),
            _str("object_no", 20, nullable=False),
            _str("unit_no", 20),
            _str("technical_object", 60),
            _str("responsible_user_no", 3),
            _code("team_no"),
            Column("due_from", Date),
            Column("due_until", Date),
            _str("status_no", 20),
            _str("priority_no", 20),
            Column("closed_at", UTCDateTime()),
            Column("cancelled_at", UTCDateTime()),
            Column("modified_at", UTCDateTime()),
            _str("created_by_user_no", 3),
            _str("source_ref", 100, unique=True),  # idempotent write-back from casavi
            # A tenant's rating in casavi (the last one wins).
            Column("rating_stars", Integer),
            _str("rating_comment", 1000),
            Column("rated_at", UTCDateTime()),
            Index(None, "object_no"),
        )
        self.notes = t(
            "notes",
            Column("note_id", Integer, Identity(start=1), primary_key=True),
            Column("ticket_no", Integer, nullable=False),
            _str("author_user_no", 3),
            Column("created_at", UTCDateTime(), nullable=False),
            Column("content", Text, nullable=False),
            Column("internal", Boolean, nullable=False, default=False),  # N2
            _str("source_ref", 100, unique=True),
            # N1 inbound: who wrote a casavi message - the tenant's person, the name casavi
            # shows (the user of ``author_user_no`` is the ticket user, C11, for a tenant).
            _str("author_person_no", 20),
            _str("author_name", 200),
            Index(None, "ticket_no"),
        )
        self.work_orders = t(
            "work_orders",
            Column("order_no", Integer, primary_key=True, autoincrement=False),
            Column("ticket_no", Integer, nullable=False),
            Column("placed_at", UTCDateTime(), nullable=False),
            _str("contractor", 120),
            _str("description", 500),
        )
        self.document_types = t(
            "document_types",
            _code("type_no", primary_key=True),
            _str("name", 100, nullable=False),
            _str("document_class", 100),
        )
        self.documents = t(
            "documents",
            Column("document_id", Integer, primary_key=True, autoincrement=False),
            _code("type_no", nullable=False),
            _str("name", 255, nullable=False),
            Column("created_at", UTCDateTime(), nullable=False),
            Column("size_bytes", BigInteger, nullable=False),
            _str("object_no", 20),
            _str("person_no", 20),
            Column("ticket_no", Integer),
            _str("content_location", 500),
            Column("released", Boolean, nullable=False, default=True),
            _str("source", 10, nullable=False, default="ixhaus"),
            # casavi's document id for a tenant's attachment (idempotent write-back).
            _str("source_ref", 100, unique=True),
        )

    def _table(self, logical: str, *items: SchemaItem) -> Table:
        return Table(self.config.physical(logical), self.metadata, *items)

    def _contact_table(self, logical: str) -> Table:
        return self._table(
            logical,
            _str("person_no", 20, primary_key=True),
            _str("object_no", 20, primary_key=True),
            *_person_fields(),
            *_address(),
        )

    def all(self) -> dict[str, Table]:
        return {name: getattr(self, name) for name in LOGICAL_TABLES}


def build_tables(config: IxhausSchemaConfig | None = None) -> IxhausTables:
    return IxhausTables(config)


def build_metadata(config: IxhausSchemaConfig | None = None) -> MetaData:
    """The interface schema's MetaData for ``config`` (owner/schema and table names)."""
    return IxhausTables(config).metadata
