"""REST Structs of the gateway's own API (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

System = Literal["production", "test"]
RunStatus = Literal["queued", "running", "succeeded", "failed"]


class SyncRunView(msgspec.Struct, rename="camel", kw_only=True):
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
    skipped: int
    errors: int
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
