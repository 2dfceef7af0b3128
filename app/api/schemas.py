"""REST Structs of the gateway's own API (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from app.domain.reasons import Reason, text

System = Literal["production", "test"]
RunStatus = Literal["queued", "running", "succeeded", "partial", "failed"]
# The entity kinds a dry run plans (``sync.outbound.plan.PLANNED_KINDS``, in run order).
PlannedEntity = Literal[
    "object",
    "unit",
    "person",
    "owner",
    "caretaker",
    "team",
    "object_role",
    "user",
    "ticket_type",
    "ticket_status",
    "ticket_priority",
    "ticket",
    "work_order_note",
]


class SyncRunView(msgspec.Struct, rename="camel", kw_only=True):
    """Rules L1/L2. ``status``: ``succeeded``; ``partial`` (some records failed, or a source
    such as DocuWare could not be read to its end; the rest went through; ``lastError`` and
    the entries say what); ``failed`` (casavi or iX-Haus unreachable - every call failed -,
    credentials refused, configuration incomplete; ``lastError`` says which).

    Records by outcome, always equal to the run's entries by outcome: ``sent`` (created,
    updated or removed in casavi: entries ``sent`` and ``deleted``), ``excluded`` (newly left
    out by a rule, with its reason: entries ``excluded``), ``errors`` (entries ``error``).
    Without entries: ``unchanged`` (casavi is up to date, or a record is still left out for
    the same reason) and ``waiting`` (not tried in this run: a failed record whose retry is
    not due yet, or one that names a record whose state in casavi is unsettled). A run
    continued by a fresh job counts what every job of it did."""

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
    waiting: int
    last_error: str | None


class SyncRunList(msgspec.Struct, rename="camel", kw_only=True):
    items: list[SyncRunView]


class ApiKeyView(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    scope: Literal["ixhaus", "admin"]
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyList(msgspec.Struct, rename="camel", kw_only=True):
    items: list[ApiKeyView]


class ReasonText(msgspec.Struct, kw_only=True):
    de: str
    en: str


def reason_text(code: str | None) -> ReasonText | None:
    """The German and English text of a reason code (None for no or an unknown code)."""
    try:
        reason = Reason(code) if code else None
    except ValueError:
        return None
    return None if reason is None else ReasonText(de=text(reason, "de"), en=text(reason, "en"))


class ProtocolEntryView(msgspec.Struct, rename="camel", kw_only=True):
    """Rule L3: one record's outcome in a run: which record, what happened, why."""

    id: int
    entity_type: str
    entity_key: str
    outcome: Literal["sent", "deleted", "excluded", "error"]
    reason_code: str | None
    # The reason in the staff's words (German and English), beside its stable code.
    reason_text: ReasonText | None
    message: str | None
    created_at: dt.datetime


class ProtocolEntryList(msgspec.Struct, rename="camel", kw_only=True):
    """A page of a run's protocol (L3): ``nextCursor`` continues it (L4: entries that
    arrive later appear after the last cursor); ``total`` counts all matching entries."""

    items: list[ProtocolEntryView]
    total: int
    next_cursor: int | None


class TicketPortalStatusView(msgspec.Struct, rename="camel", kw_only=True):
    """Rule S1: whether a ticket is in the portal (and its status there), or why not."""

    ticket_number: str
    transferred: bool
    portal_status: str | None
    reason_code: str | None
    reason_text: str | None
    last_portal_change_at: dt.datetime | None
    last_portal_change: str | None
    updated_at: dt.datetime


class TicketPortalStatusList(msgspec.Struct, rename="camel", kw_only=True):
    items: list[TicketPortalStatusView]
    # Numbers asked for that no run has decided yet (not in iX-Haus, or not yet synced).
    unknown: list[str] = msgspec.field(default_factory=list)


class SyncRunRequest(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """Optional body of ``POST …/sync-runs``. ``dryRun``: answer the plan of a run now and
    send nothing; ``entities`` (dry run only): the entity kinds to plan (default: all but
    public notes and documents, which a dry run does not plan)."""

    dry_run: bool = False
    entities: list[PlannedEntity] | None = None


class PlanItemView(msgspec.Struct, rename="camel", kw_only=True):
    """One record whose state a run would change. ``fields`` (update): the fields that would
    change; null when the record was last sent before the gateway kept field digests."""

    entity_type: str
    entity_key: str
    action: Literal["create", "update", "delete", "exclude"]
    fields: list[str] | None
    reason_code: str | None
    reason_text: ReasonText | None


class SyncPlanView(msgspec.Struct, rename="camel", kw_only=True):
    """A dry run's plan. Counts cover every record; ``items`` lists those whose state would
    change (at most 10,000; ``truncated`` says when there were more). ``stillExcluded``:
    records excluded for the same reason as before; ``waiting``: failed records whose retry
    is not due yet."""

    system: System
    dry_run: bool
    entities: list[str]
    creates: int
    updates: int
    deletes: int
    excludes: int
    unchanged: int
    still_excluded: int
    waiting: int
    truncated: bool
    items: list[PlanItemView]
