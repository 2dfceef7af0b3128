"""The configuration document of one system (production or test), as stored and served.

Rule IDs from domain.md name the setting each field carries. Secrets are not part of the
document: they are write-only and live encrypted beside it (see ``secrets.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from app.alerts.settings import AlertSettings
from app.domain.catalogue import CODE_LENGTH
from app.domain.config import DEFAULT_MAX_DOCUMENT_BYTES, Licences

System = Literal["production", "test"]
SYSTEMS: tuple[System, ...] = ("production", "test")

# ``extra["expected"]`` says in words what a pattern means: ``configuration.shape`` reports
# "must be <expected>" instead of the pattern, and the console shows the same.
ObjectNumber = Annotated[
    str,
    Meta(
        pattern=r"^[0-9][0-9A-Za-z.]{0,19}$",
        extra={
            "expected": "an iX-Haus object number: a digit first, then digits, letters or "
            "dots, at most 20 characters"
        },
    ),
]
# As wide as the interface schema's code columns (``app.domain.catalogue.CODE_LENGTH``).
TypeCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=CODE_LENGTH,
        pattern=r"^\S(.*\S)?$",
        extra={"expected": "a code without spaces at either end"},
    ),
]
MAX_DAYS = 3650
Days = Annotated[int, Meta(ge=0, le=MAX_DAYS, description="A number of days (never negative).")]
CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]"
ClockTime = Annotated[
    str,
    Meta(pattern=f"^{CLOCK}$", extra={"expected": "a time of day from 00:00 to 23:59 (HH:MM)"}),
]
TicketUser = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{3}$",
        extra={"expected": "a three-digit iX-Haus user number (rule C11)"},
    ),
]
MaxDocumentBytes = Annotated[
    int,
    Meta(
        gt=0,
        description=(
            "Rule D5: documents larger than this many bytes are never sent and are reported "
            "as errors in the protocol. The default, 100 MB (104857600), is the old "
            "interface's limit. Lower it (e.g. to 52428800) if documents must stay within "
            "what casavi's own upload form accepts: that form stops at 50 MB."
        ),
    ),
]
ConflictPolicy = Literal["ixhaus_wins", "casavi_wins", "manual"]


class Struct(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class ObjectRange(Struct, kw_only=True):
    """Inclusive range of object numbers; ``from`` == ``to`` selects one object."""

    start: ObjectNumber = msgspec.field(name="from")
    end: ObjectNumber = msgspec.field(name="to")


class CasaviSettings(Struct, kw_only=True):
    """Rule C2: where casavi is (its key and secret are secrets, not document fields)."""

    base_url: str | None = None
    # ``portal-gateway casavi check --write-test`` may create (and remove again) one marked
    # record of each kind in this system's casavi. Off: the check only reads.
    allow_write_test: bool = False


class ObjectSelection(Struct, kw_only=True):
    range: list[ObjectRange] = msgspec.field(default_factory=list)  # rule C3
    full_history_range: list[ObjectRange] = msgspec.field(default_factory=list)  # rule C4


class DocumentTypes(Struct, kw_only=True):
    with_time_filter: list[TypeCode] = msgspec.field(default_factory=list)  # rule C6
    without_time_filter: list[TypeCode] = msgspec.field(default_factory=list)  # rule C7


DocuwareGrant = Literal["password", "trusted", "client_credentials"]


class DocuWareSettings(Struct, kw_only=True):
    """Rule C9: DocuWare connection (password and client secret are secrets) and filters.

    ``grant``: ``password`` (user and password), ``trusted`` (a trusted application user
    acting as ``impersonateName``, on premises only) or ``client_credentials`` (an
    application registered in DocuWare: ``clientId`` and the secret ``docuwareClientSecret``;
    DocuWare requires registered applications for new API integrations from April 2026).
    ``organization`` is the organisation's id, sent as ``OrgId`` when file cabinets are
    listed - needed only on premises with more than one organisation."""

    base_url: str | None = None
    username: str | None = None
    grant: DocuwareGrant = "password"
    client_id: str | None = None
    impersonate_name: str | None = None
    organization: str | None = None
    file_cabinet_id: str | None = None
    filters: list[Annotated[str, Meta(min_length=1, max_length=2000)]] = msgspec.field(
        default_factory=list
    )


class SupportSwitches(Struct, kw_only=True):
    """Rule C13: the old flag files @mpSave and @noDwSync; and how long inbound events
    (casavi callbacks and polled changes) are kept once processed (GDPR, C15 style)."""

    # C13 (@mpSave): archive every payload sent, per record and run, for support.
    keep_transfer_payloads: bool = False
    no_docuware_sync: bool = False
    inbound_retention_days: Annotated[int, Meta(ge=1, le=3650)] = 30
    # Archived payloads and protocol entries older than this many days are purged (GDPR).
    retention_days: Annotated[int, Meta(ge=1, le=3650)] = 90


class InboundOptions(Struct, kw_only=True):
    """casavi -> iX-Haus: the poll - always on, the documented way tenants' tickets and
    messages arrive; quiet hours do not stop it - and callbacks, an optional fast path for an
    installation that has them (casavi offers none natively: a relay must send them)."""

    poll_seconds: Annotated[int, Meta(ge=1, le=3600)] = 60
    callbacks_enabled: bool = False


class QuietHours(Struct, kw_only=True):
    """No scheduled runs from ``start`` to ``end`` (Europe/Berlin time; may wrap midnight)."""

    start: ClockTime
    end: ClockTime


class Schedule(Struct, kw_only=True):
    """Rule C14: scheduled sync runs (callbacks and triggers still work at any time)."""

    interval_minutes: Annotated[int, Meta(ge=1, le=1440)] = 5
    quiet_hours: QuietHours | None = None


Identifier = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z][A-Za-z0-9_$#]{0,127}$",
        extra={
            "expected": "a database name: a letter first, then letters, digits, _, $ or #, "
            "at most 128 characters"
        },
    ),
]


class IxhausSettings(Struct, kw_only=True):
    """Where the iX-Haus interface schema lives (its database URL is a secret).

    An installation maps the interface onto views over the real Oracle tables: the owner
    (schema), a name prefix, and per logical table a physical name.
    """

    schema: Identifier | None = None
    table_prefix: Annotated[
        str,
        Meta(
            pattern=r"^[A-Za-z0-9_$#]{0,30}$",
            extra={"expected": "at most 30 letters, digits, _, $ or #"},
        ),
    ] = "ixp_"
    table_names: dict[str, Identifier] = msgspec.field(default_factory=dict)
    # Where iX-Haus's document store (Multimedia) is mounted on the worker: a document's
    # content location (``ixhaus://multimedia/...`` or a relative path) is read below it.
    document_root: Annotated[str, Meta(min_length=1, max_length=1000)] | None = None


class ConflictPolicies(Struct, kw_only=True):
    """What wins when both sides changed a ticket field (rule T3 fields plus status).

    iX-Haus wins by default: it is the master system. Read by the inbound flow for the
    two-way fields (status, responsible_user, responsible_team, due_from, due_until,
    subject, description: ``app.domain.conflicts.TWO_WAY_FIELDS``) and for the notes written
    from tenants' messages (``notes``: an edit in casavi after staff changed the note). The
    others are stored
    but not read: casavi does not change them (a tenant's ticket takes them once, when it
    is created), so they never conflict.
    """

    ticket_type: ConflictPolicy = "ixhaus_wins"
    subject: ConflictPolicy = "ixhaus_wins"
    description: ConflictPolicy = "ixhaus_wins"
    hint1: ConflictPolicy = "ixhaus_wins"
    hint2: ConflictPolicy = "ixhaus_wins"
    reporter: ConflictPolicy = "ixhaus_wins"
    trade: ConflictPolicy = "ixhaus_wins"
    date: ConflictPolicy = "ixhaus_wins"
    object: ConflictPolicy = "ixhaus_wins"
    unit: ConflictPolicy = "ixhaus_wins"
    technical_object: ConflictPolicy = "ixhaus_wins"
    responsible_user: ConflictPolicy = "ixhaus_wins"
    responsible_team: ConflictPolicy = "ixhaus_wins"
    due_from: ConflictPolicy = "ixhaus_wins"
    due_until: ConflictPolicy = "ixhaus_wins"
    status: ConflictPolicy = "ixhaus_wins"
    # N1: a tenant edited their message in casavi after staff changed its iX-Haus note.
    notes: ConflictPolicy = "ixhaus_wins"


class ConfigDocument(Struct, kw_only=True):
    """Everything an administrator sets for one system, minus the secrets."""

    active: bool = False  # rule C12; rule C1: the test system starts switched off
    casavi: CasaviSettings = msgspec.field(default_factory=CasaviSettings)
    ixhaus: IxhausSettings = msgspec.field(default_factory=IxhausSettings)
    objects: ObjectSelection = msgspec.field(default_factory=ObjectSelection)
    person_types: list[TypeCode] = msgspec.field(default_factory=list)  # rule C5
    document_types: DocumentTypes = msgspec.field(default_factory=DocumentTypes)
    user_teams: list[TypeCode] = msgspec.field(default_factory=list)  # rule C8
    docuware: DocuWareSettings = msgspec.field(default_factory=DocuWareSettings)
    max_document_bytes: MaxDocumentBytes = DEFAULT_MAX_DOCUMENT_BYTES  # rule D5
    # Defaults shared with app.domain.config.SyncConfig (the seed names neither value).
    portal_account_lead_days: Days = 14  # rule C10
    delete_after_move_out_days: Days = 90  # rule C15
    ticket_user_number: TicketUser | None = None  # rule C11
    licences: Licences = msgspec.field(default_factory=Licences)
    support: SupportSwitches = msgspec.field(default_factory=SupportSwitches)
    schedule: Schedule = msgspec.field(default_factory=Schedule)
    conflict_policy: ConflictPolicies = msgspec.field(default_factory=ConflictPolicies)
    inbound: InboundOptions = msgspec.field(default_factory=InboundOptions)
    # Who is told when the gateway needs a person (app/alerts).
    alerts: AlertSettings = msgspec.field(default_factory=AlertSettings)


def default_document(system: System) -> ConfigDocument:
    """A new system's configuration: switched off until an administrator turns it on (C1)."""
    return ConfigDocument(active=False)


class SecretState(Struct, kw_only=True):
    """What a GET says about a secret: whether it is set and when it last changed."""

    is_set: bool
    changed_at: dt.datetime | None = None


SecretText = Annotated[str, Meta(min_length=1, max_length=4096)]


class SecretInput(Struct, kw_only=True):
    """Rule C2: a secret is entered twice; both must match."""

    value: SecretText
    confirmation: SecretText

    def __repr__(self) -> str:
        return "SecretInput(value=<hidden>, confirmation=<hidden>)"


class SecretsInput(Struct, kw_only=True):
    """Write-only secrets; a field left out keeps the stored secret."""

    casavi_api_key: SecretInput | None = None
    casavi_secret: SecretInput | None = None
    docuware_password: SecretInput | None = None
    # A registered DocuWare application's secret (docuware.grant client_credentials).
    docuware_client_secret: SecretInput | None = None
    callback_secret: SecretInput | None = None
    # The DocuWare organisation's webhook passphrase (``x-docuware-signature``); separate
    # from casavi's callback secret, because DocuWare and casavi each sign with their own.
    docuware_webhook_secret: SecretInput | None = None
    ixhaus_database_url: SecretInput | None = None
    # Alerts: the SMTP password and the HMAC secret that signs the webhook's requests.
    alert_smtp_password: SecretInput | None = None
    alert_webhook_secret: SecretInput | None = None


class ConfigInput(ConfigDocument, kw_only=True):
    """Body of PUT (full replace): the whole document, plus any secrets to set."""

    secrets: SecretsInput | None = None


class SecretsView(Struct, kw_only=True):
    casavi_api_key: SecretState
    casavi_secret: SecretState
    docuware_password: SecretState
    docuware_client_secret: SecretState
    callback_secret: SecretState
    docuware_webhook_secret: SecretState
    ixhaus_database_url: SecretState
    alert_smtp_password: SecretState
    alert_webhook_secret: SecretState


class ConfigChangeView(msgspec.Struct, rename="camel", kw_only=True):
    """One entry of the audit trail: who changed which fields when."""

    actor: str
    changed_at: dt.datetime
    fields: list[str]


class CatalogueCheck(Struct, kw_only=True):
    """Whether a saved configuration was checked against what iX-Haus knows."""

    status: Literal["validated", "unavailable", "not_configured"]
    reason: str


class ConfigView(ConfigDocument, kw_only=True):
    """What GET returns: the document and, for each secret, only whether it is set.

    After PUT/PATCH, ``catalogueCheck`` says whether object numbers, person and document
    types, teams and the ticket user were checked against iX-Haus.
    """

    system: System
    version: int
    updated_at: dt.datetime | None
    secrets: SecretsView
    catalogue_check: CatalogueCheck | None = None
