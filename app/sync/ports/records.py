"""The records that cross the ports, and the small types they share.

Flows (an outbound run, a trigger, a scheduled tick) are functions over these Protocols. The
records that cross them are the domain's (``app.domain``) or the small Structs below; no ORM
row and no wire Struct ever does.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from app.configuration.document import ConfigDocument
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
# ``pending``: a create is under way (written before the request, so a crash leaves a mark:
# the next attempt looks before it writes). Pending rows write no protocol line.
LinkState = Literal["pending", "sent", "deleted", "excluded", "error"]
ProtocolOutcome = Literal["sent", "deleted", "excluded", "error"]
# What the gateway knows about a record in casavi before it writes: never sent, held, or
# unknown (a create may have happened that the gateway could not record).
Presence = Literal["new", "held", "unknown"]

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
    """Records of a run by outcome, equal to the run's protocol lines by outcome: written to
    casavi (created, updated or removed: lines ``sent`` and ``deleted``), newly left out by a
    rule (``excluded``, with its reason), failed (``error``). Without a line: ``unchanged``
    (casavi up to date, or still excluded for the same reason) and ``waiting`` (not tried:
    a failed record whose retry is not due, or one whose parent's state is unsettled)."""

    sent: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0
    waiting: int = 0


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
    waiting: int = 0


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
    # The digest of what decided the recorded outcome (``sync.outbound.digests``): a record
    # whose inputs digest the same has the same outcome again. None: not known.
    input_digest: str | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What happened to one record in this run (only records whose state changed)."""

    key: RecordKey
    state: LinkState
    # casavi no longer shows the record (a deletion, or a record that left the eligible
    # set): the protocol says ``deleted`` whatever the ledger state.
    removed: bool = False
    fingerprint: str | None = None
    casavi_id: str | None = None
    reason_code: str | None = None
    error: str | None = None
    # With ``state="error"``: failed sends in a row including this one, and the next try.
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    # With ``state="sent"``: the record's field digests (``domain.fingerprint.field_digests``).
    field_digests: str | None = None
    # The digest of the inputs that decided this outcome (sent, excluded, deleted).
    input_digest: str | None = None
    # The outcome recorded before, written again only for its new ``input_digest`` (the
    # inputs changed, the outcome did not): no protocol line, counted as unchanged.
    restated: bool = False

    @property
    def protocol_outcome(self) -> ProtocolOutcome | None:
        """The run's protocol line for this outcome (rule L3); None: no line (pending, or
        restated)."""
        if self.state == "pending" or self.restated:
            return None
        if self.removed:
            return "deleted"
        return self.state


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


class SystemSecrets(msgspec.Struct, frozen=True, kw_only=True):
    """The decrypted secrets a system's adapters need (never shown, never logged)."""

    casavi_api_key: str | None = None
    casavi_secret: str | None = None
    ixhaus_database_url: str | None = None
    docuware_password: str | None = None
    docuware_client_secret: str | None = None
    # Inbound (casavi -> iX-Haus): the callbacks' HMAC secret.
    callback_secret: str | None = None

    def __repr__(self) -> str:
        return "SystemSecrets(<hidden>)"


class SystemSettings(msgspec.Struct, frozen=True, kw_only=True):
    """One configuration version of a system, typed once (``configuration.rules.
    system_settings``): the settings document as stored, its secrets decrypted, and the two
    views the flows read - the transfer rules' ``SyncConfig`` and the inbound flow's
    ``InboundSettings``. Only the composition roots' factories see this (it holds secrets).
    """

    system: System
    version: int
    document: ConfigDocument
    secrets: SystemSecrets
    config: SyncConfig
    inbound: InboundSettings

    @property
    def active(self) -> bool:
        return self.document.active  # rule C12

    def __repr__(self) -> str:
        return f"SystemSettings(system={self.system!r}, version={self.version})"
