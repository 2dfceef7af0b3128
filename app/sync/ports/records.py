"""The records that cross the ports, and the small types they share.

Flows (an outbound run, a trigger, a scheduled tick) are functions over these Protocols. The
records that cross them are the domain's (``app.domain``) or the small Structs below; no ORM
row and no wire Struct ever does.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from app.domain import records as r
from app.domain.config import SyncConfig
from app.domain.keys import RecordKey
from app.domain.portal import (
    ContactPayload,
    PersonPayload,
    PortalNote,
    PortalObject,
    PortalObjectRole,
    PortalTeam,
    PortalTicket,
    PortalUnit,
    PortalUser,
)

System = Literal["production", "test"]
SYSTEMS: tuple[System, ...] = ("production", "test")
# ``partial``: some records failed, the rest went through; ``failed``: the run could not do
# its work (casavi or iX-Haus unreachable, authentication refused, configuration incomplete).
RunStatus = Literal["queued", "running", "succeeded", "partial", "failed"]
LinkState = Literal["pending", "sent", "deleted", "excluded", "error"]
ProtocolOutcome = Literal["sent", "deleted", "excluded", "error"]

# Every canonical record the portal takes (what the rules decide to transfer).
PortalRecord = (
    PortalObject
    | PortalUnit
    | PersonPayload
    | ContactPayload
    | PortalUser
    | PortalTeam
    | PortalObjectRole
    | r.TicketTypeRecord
    | r.TicketStatusRecord
    | r.TicketPriorityRecord
    | PortalTicket
    | PortalNote
)


# -- records that cross the ports ------------------------------------------------------------
class RunCounts(msgspec.Struct, frozen=True):
    """Records of a run by outcome: written to casavi (created, updated or removed), already
    up to date there, left out by a rule (with its reason), failed."""

    sent: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0


class SyncRunInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Rules L1/L2: one sync run as the API and the flows see it."""

    id: int
    system: System
    trigger: str
    scope: str
    status: RunStatus
    requested_by: str | None
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    sent: int
    unchanged: int
    excluded: int
    errors: int
    last_error: str | None


class RunClaim(msgspec.Struct, frozen=True):
    """A job's hold on a run: ``attempt`` is its owner token (heartbeat, release, finish)."""

    system: str
    attempt: int


class ProtocolLine(msgspec.Struct, frozen=True, kw_only=True):
    """Rule L3: what happened to one record in a run."""

    id: int
    key: RecordKey
    outcome: ProtocolOutcome
    reason_code: str | None
    message: str | None
    created_at: dt.datetime


class ProtocolPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a run's protocol: the lines after a cursor, and how many match in all."""

    lines: list[ProtocolLine]
    total: int
    next_cursor: int | None


class LedgerEntry(msgspec.Struct, frozen=True, gc=False):
    """What the ledger knows about one record: what was last sent, and the outcome.

    ``attempts`` counts failed sends in a row; a record in ``error`` is tried again from
    ``next_attempt_at`` on (capped backoff)."""

    id: int
    fingerprint: str | None
    state: LinkState
    casavi_id: str | None
    reason_code: str | None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What happened to one record in this run (only records whose state changed)."""

    key: RecordKey
    state: LinkState
    fingerprint: str | None = None
    casavi_id: str | None = None
    reason_code: str | None = None
    error: str | None = None
    # With ``state="error"``: failed sends in a row including this one, and the next try.
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    # With ``state="sent"``: the record's field digests (``domain.fingerprint.field_digests``).
    field_digests: str | None = None


class PortalStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Rule S1 for one ticket: transferred (with portal status) or the reason it is not."""

    ticket_number: str
    transferred: bool
    portal_status: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None


class TicketPortalView(msgspec.Struct, frozen=True, kw_only=True):
    """Rules S1/S2 as stored: the portal field plus the last portal change."""

    ticket_number: str
    transferred: bool
    portal_status: str | None
    reason_code: str | None
    reason_text: str | None
    last_portal_change_at: dt.datetime | None
    last_portal_change: str | None
    updated_at: dt.datetime


class InboundSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the inbound flow reads from a system's configuration."""

    poll_seconds: int = 60
    callbacks_enabled: bool = False  # the poll is the default; callbacks an optional fast path
    retention_days: int = 30
    # Two-way ticket field -> policy (app.domain.conflicts.Policy); missing = ixhaus_wins.
    conflict_policies: dict[str, str] = msgspec.field(default_factory=dict)


class SystemSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What a system's adapters are built from: one configuration version, secrets included.

    Only the composition roots' factories see this (it holds decrypted secrets).
    """

    system: System
    version: int
    active: bool
    config: SyncConfig
    casavi_base_url: str | None
    casavi_key: str | None
    casavi_secret: str | None
    ixhaus_url: str | None
    ixhaus_schema: str | None
    ixhaus_table_prefix: str
    ixhaus_table_names: dict[str, str]
    ixhaus_document_root: str | None = None
    docuware_base_url: str | None = None
    docuware_username: str | None = None
    docuware_organization: str | None = None
    docuware_cabinet_id: str | None = None
    docuware_password: str | None = None
    docuware_grant: str = "password"  # password | trusted | client_credentials
    docuware_client_id: str | None = None
    docuware_client_secret: str | None = None
    docuware_impersonate_name: str | None = None
    # Inbound (casavi -> iX-Haus): the callbacks' HMAC secret and the inbound settings.
    callback_secret: str | None = None
    # The live contract check may write one marked record per kind (casavi.allowWriteTest).
    casavi_allow_write_test: bool = False
    inbound: InboundSettings = msgspec.field(default_factory=lambda: InboundSettings())

    def __repr__(self) -> str:
        return f"SystemSettings(system={self.system!r}, version={self.version})"
