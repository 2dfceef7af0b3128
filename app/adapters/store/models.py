"""The gateway's own tables (see design.md, "The gateway's own state").

Only the gateway writes these; iX-Haus and casavi data live in their own systems. Every
timestamp is UTC-aware; every string has a length so the schema renders for Oracle too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.store.base import Base, utcnow
from app.adapters.store.json_text import JSONText
from app.sync.ports import LinkState, ProtocolOutcome, RunStatus, System

SYSTEMS = ("production", "test")
_SYSTEM_CHECK = "system IN ('production', 'test')"


def _id() -> Mapped[int]:
    return mapped_column(Integer, Identity(), primary_key=True)


def _created() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow)


class SystemConfig(Base):
    """Rule C1: one configuration per system; the settings document is validated by the API."""

    __tablename__ = "system_configs"
    __table_args__ = (CheckConstraint(_SYSTEM_CHECK, name="system"),)

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SystemSecret(Base):
    """Rule C2: write-only secrets per system, encrypted at rest (ciphertext only)."""

    __tablename__ = "system_secrets"

    system: Mapped[str] = mapped_column(
        String(16), ForeignKey("system_configs.system", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConfigChange(Base):
    """Audit trail of configuration changes: who, when, which fields (names only)."""

    __tablename__ = "config_changes"

    id: Mapped[int] = _id()
    system: Mapped[str] = mapped_column(String(16), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    fields: Mapped[list[str]] = mapped_column(JSONText, default=list)
    changed_at: Mapped[dt.datetime] = _created()


class ApiKey(Base):
    """Operator-issued API keys; only a SHA-256 hash of the key is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("scope IN ('ixhaus', 'admin')", name="scope"),)

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(128), unique=True)
    scope: Mapped[Literal["ixhaus", "admin"]] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = _created()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class EntityLink(Base):
    """Ledger: which iX-Haus record is which casavi record, and what was last sent."""

    __tablename__ = "entity_links"
    __table_args__ = (
        UniqueConstraint("system", "entity_type", "ixhaus_key"),
        Index("ix_entity_links_casavi", "system", "entity_type", "casavi_id"),
    )

    id: Mapped[int] = _id()
    system: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    ixhaus_key: Mapped[str] = mapped_column(String(128))
    casavi_id: Mapped[str | None] = mapped_column(String(128), default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[LinkState] = mapped_column(String(16), default="pending")
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    # Failed sends in a row (reset by a success) and when the record is tried again.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    # JSON: field -> CRC-32 of what was sent (``domain.fingerprint.field_digests``).
    field_digests: Mapped[str | None] = mapped_column(Text, default=None)
    # What decided the recorded outcome, as a digest (``sync.outbound.digests``): an
    # unchanged row skips its rules on the next run.
    input_digest: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TicketPortalState(Base):
    """Rules S1/S2: a ticket's portal status (or reason) and the last portal change."""

    __tablename__ = "ticket_portal_states"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    transferred: Mapped[bool] = mapped_column(Boolean, default=False)
    portal_status: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    reason_text: Mapped[str | None] = mapped_column(String(500), default=None)
    last_portal_change_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_portal_change: Mapped[str | None] = mapped_column(String(500), default=None)
    reset_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NoteLink(Base):
    """Which casavi message is which iX-Haus note, and who wrote it first (echo suppression)."""

    __tablename__ = "note_links"
    __table_args__ = (
        UniqueConstraint("system", "ixhaus_note_id"),
        UniqueConstraint("system", "casavi_message_id"),
        CheckConstraint("origin IN ('ixhaus', 'casavi')", name="origin"),
    )

    id: Mapped[int] = _id()
    system: Mapped[str] = mapped_column(String(16))
    ticket_number: Mapped[str] = mapped_column(String(64), index=True)
    ixhaus_note_id: Mapped[str | None] = mapped_column(String(64), default=None)
    casavi_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = _created()


class FieldConflict(Base):
    """Both sides changed the same field since the last sync; the policy decided."""

    __tablename__ = "conflicts"

    id: Mapped[int] = _id()
    system: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(64))
    ixhaus_value: Mapped[str | None] = mapped_column(Text, default=None)
    casavi_value: Mapped[str | None] = mapped_column(Text, default=None)
    base_value: Mapped[str | None] = mapped_column(Text, default=None)
    policy: Mapped[str] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(String(32), default=None)
    resolved_value: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(128), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = _created()


class TicketFieldBase(Base):
    """The base of conflict detection: each two-way ticket field as last synced."""

    __tablename__ = "ticket_field_bases"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """Rules L1/L2: one row per sync run with its counts.

    ``active_system`` holds the system while the run is queued or running and is NULL
    otherwise; its plain unique constraint is what keeps one pending run per system on every
    backend (NULLs never collide on SQLite, PostgreSQL or Oracle; SQLite ignores row locks
    and Oracle has no partial index).
    """

    __tablename__ = "sync_runs"
    __table_args__ = (
        CheckConstraint(_SYSTEM_CHECK, name="system"),
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')", name="status"
        ),
        Index("ix_sync_runs_system_requested", "system", "requested_at"),
    )

    id: Mapped[int] = _id()
    system: Mapped[System] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(64), default="full")
    status: Mapped[RunStatus] = mapped_column(String(16), default="queued")
    requested_by: Mapped[str | None] = mapped_column(String(128), default=None)
    requested_at: Mapped[dt.datetime] = _created()
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    # Records not tried: a retry not due yet, or a parent whose state is unsettled.
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Claims so far; the current claim's number is the owner token of heartbeat and finish.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    active_system: Mapped[str | None] = mapped_column(String(16), unique=True, default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ProtocolEntry(Base):
    """Rule L3: per-record outcome of a run (which record, what happened, why)."""

    __tablename__ = "protocol_entries"

    id: Mapped[int] = _id()
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True, default=None
    )
    system: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[ProtocolOutcome] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64), default=None)
    message: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = _created()


class InboxEvent(Base):
    """Inbound events (casavi callbacks and polled changes), stored once per (source,
    external id); ``source`` names the system (``casavi:test``). Status: received -> done,
    or parked (with a reason and the next attempt) -> received again, or discarded."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_inbox_events_status", "status", "received_at"),
        Index("ix_inbox_events_ticket", "system", "ticket_ref", "status"),
    )

    id: Mapped[int] = _id()
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    system: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    received_at: Mapped[dt.datetime] = _created()
    payload: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(1000), default=None)
    # casavi's ticket id: events of one ticket are processed in order, one at a time.
    ticket_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class InboundLease(Base):
    """Who processes one casavi ticket's events now (claimed by a conditional UPDATE)."""

    __tablename__ = "inbound_leases"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    ticket_ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64), default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class InboundCursor(Base):
    """The poll's position per system: casavi's ``modifiedAt`` seen last, and when."""

    __tablename__ = "inbound_cursors"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    modified_after: Mapped[dt.datetime | None] = mapped_column(default=None)
    polled_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ArchivedPayload(Base):
    """Rule C13: transfer payloads kept for inspection when the support switch is on."""

    __tablename__ = "archived_payloads"

    id: Mapped[int] = _id()
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="SET NULL"), index=True, default=None
    )
    system: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(16))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = _created()


class ContractDeviationCount(Base):
    """casavi answers outside openapi/casavi.yaml (issue 18): how often, per system,
    operation, field and kind of problem - never a value. Written by the process that read
    the answer, shown on the console overview and in ``/metrics``."""

    __tablename__ = "casavi_contract_deviations"

    system: Mapped[str] = mapped_column(String(16), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(200), primary_key=True)
    problem: Mapped[str] = mapped_column(String(200), primary_key=True)
    times: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConsoleSessionRow(Base):
    """Server-side sessions of the admin console (and its one-time sign-in links) when no
    Redis is configured: a Litestar store on the gateway's database, so every API process
    sees every session. Keyed by a SHA-256 of the session id: the table holds no usable
    cookie. Rows exist only for signed-in sessions (nothing is stored before a sign-in)."""

    __tablename__ = "console_sessions"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True, default=None)


# Alert incidents and notifications live beside their repository (app/alerts uses them);
# imported here so every table is on the metadata wherever the models are.
from app.adapters.store.alerts import AlertIncident, AlertNotification  # noqa: E402, F401
