"""The gateway's own state: ledger, S1 states, runs, configurations, the job queue and
the support archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from app.configuration.document import (
    ConfigChangeView,
    ConfigDocument,
    ConfigInput,
    ConfigView,
    Schedule,
)
from app.configuration.shape import Found
from app.domain.catalogue import IxhausCatalogue
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.ports.records import (
    LedgerEntry,
    Outcome,
    PortalStatus,
    ProtocolPage,
    RunClaim,
    RunCounts,
    RunStatus,
    SyncRunInfo,
    SystemSettings,
    TicketPortalView,
)


# -- the gateway's own state ------------------------------------------------------------------
class Ledger(Protocol):
    """Which iX-Haus record is which casavi record, and what was last sent (with L3)."""

    async def load(self, system: str, kind: EntityKind) -> dict[str, LedgerEntry]: ...
    async def identities(self, system: str, kinds: Sequence[EntityKind]) -> IdentityMap:
        """The identity map of these kinds: casavi ids, what casavi holds, what is unsettled."""
        ...

    async def is_empty(self, system: str) -> bool:
        """The ledger holds nothing for the system (a first export, or lost state)."""
        ...

    async def entries(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        """The entries of a few records of any kinds (a trigger's ticket, note, references)."""
        ...

    async def field_digests(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
        """What was last sent of these records, field by field (digests; a dry run's diff).
        Records sent before digests were kept are missing from the answer."""
        ...

    async def save(
        self,
        system: str,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        """Write one batch of outcomes and their protocol lines (``Outcome.protocol_outcome``)
        in one commit."""
        ...


class LedgerLinks(Protocol):
    """Single-record look-ups and links in the ledger (the inbound flow)."""

    async def by_casavi_id(
        self, system: str, kind: EntityKind, casavi_id: str
    ) -> tuple[RecordKey, LedgerEntry] | None:
        """The iX-Haus record casavi knows as ``casavi_id`` (any state)."""
        ...

    async def entry(self, system: str, key: RecordKey) -> LedgerEntry | None: ...
    async def link(
        self, system: str, key: RecordKey, casavi_id: str, fingerprint: str | None
    ) -> None:
        """Record that casavi holds ``key`` as ``casavi_id`` (state sent), as of
        ``fingerprint`` (None: the next run sends it again)."""
        ...


class PortalStates(Protocol):
    """Rules S1/S2 per ticket."""

    async def save(self, system: str, states: Sequence[PortalStatus]) -> None: ...
    async def one(self, system: str, ticket: TicketNumber) -> TicketPortalView | None: ...
    async def many(self, system: str, numbers: Sequence[str]) -> list[TicketPortalView]: ...


class Runs(Protocol):
    """Sync runs (rules L1–L3): requested, claimed, finished, listed."""

    async def request(
        self, system: str, *, trigger: str, requested_by: str | None
    ) -> tuple[SyncRunInfo, bool]:
        """Record a run, or return the one still queued or running: (run, created)."""
        ...

    async def fail(self, run_id: int, error: str) -> None: ...
    async def claim(self, run_id: int, *, stale_before: dt.datetime) -> RunClaim | None:
        """Take the run when it is queued, or running with no heartbeat since
        ``stale_before`` (its worker died); None when it may not be taken."""
        ...

    async def heartbeat(self, run_id: int, attempt: int) -> bool:
        """Refresh the claim's heartbeat; False when the claim was lost (taken over)."""
        ...

    async def release(self, run_id: int, attempt: int, error: str, *, sent: int = 0) -> bool:
        """Put a claimed run back to queued (interrupted; a next job continues it), with the
        records its jobs have sent so far."""
        ...

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        counts: RunCounts,
        error: str | None,
        *,
        attempt: int | None = None,
    ) -> bool:
        """Record the outcome (only while ``attempt`` still holds the claim, when given)."""
        ...

    async def totals(self, run_id: int) -> RunCounts:
        """The run's protocol lines by outcome (``sent`` with ``deleted``, ``excluded``,
        ``error``): what every job of the run wrote."""
        ...

    async def written_keys(self, run_id: int) -> set[str]:
        """The ledger keys the run's protocol names (what earlier jobs of it wrote)."""
        ...

    async def stale(self, before: dt.datetime) -> list[SyncRunInfo]:
        """Queued or running runs with no sign of life since ``before`` (to take over)."""
        ...

    async def get(self, run_id: int) -> SyncRunInfo | None: ...
    async def recent(
        self,
        system: str | None,
        limit: int,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[SyncRunInfo]:
        """Newest first; ``since``/``before`` bound the request time (rule L1's date filter)."""
        ...

    async def entries(
        self,
        run_id: int,
        *,
        outcome: str | None,
        entity: str | None,
        after: int,
        limit: int,
        offset: int = 0,
    ) -> ProtocolPage | None:
        """The run's protocol (L3) after the cursor ``after`` (skipping ``offset`` more: the
        console pages by number); None for an unknown run."""
        ...

    async def last_scheduled(self, system: str) -> dt.datetime | None: ...
    async def count_by_status(self) -> dict[tuple[str, str], int]:
        """(system, status) -> number of runs (metrics)."""
        ...


class Configs(Protocol):
    """The systems' configurations: the one door for the flows, the API, the console and
    the CLI. Writes validate (reporting every problem at once), encrypt secrets, audit and
    save atomically; each call is its own transaction."""

    async def version(self, system: str) -> int: ...
    async def settings(self, system: str) -> SystemSettings:
        """The whole configuration, secrets decrypted (for building adapters only)."""
        ...

    async def schedules(self) -> list[tuple[str, Schedule]]:
        """(system, schedule) of every active system (rule C14)."""
        ...

    async def document(self, system: str) -> ConfigDocument:
        """The settings document (no secrets)."""
        ...

    async def view(self, system: str) -> ConfigView:
        """The document with its version and, per secret, only whether it is set."""
        ...

    async def replace(
        self, system: str, body: ConfigInput, actor: str, found: Found = ()
    ) -> ConfigView:
        """PUT: the body is the whole document; secrets left out keep their stored value.
        Refused with every problem at once, ``found`` (values already taken out) included."""
        ...

    async def patch(
        self, system: str, patch: dict[str, Any], actor: str, found: Found = ()
    ) -> ConfigView:
        """A JSON merge patch (RFC 7396) over the stored document (any JSON: its shape is
        checked too)."""
        ...

    async def changes(self, system: str, limit: int) -> list[ConfigChangeView]:
        """The audit trail, newest first."""
        ...

    async def secret(self, system: str, api_name: str) -> str | None:
        """One secret's plaintext, for checks and adapters (never for the API)."""
        ...

    async def catalogue(self, system: str) -> IxhausCatalogue:
        """What iX-Haus knows, read with the system's stored connection settings."""
        ...


class JobQueue(Protocol):
    """Where jobs go: arq on Redis, or the same functions in-process (embedded mode)."""

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        """Queue ``function(*args)``; False when a job with ``job_id`` is queued or running."""
        ...

    async def ping(self) -> None:
        """Raise when the queue's backing server does not answer."""
        ...

    async def depth(self) -> int:
        """Jobs waiting to be picked up."""
        ...

    async def worker_seen(self) -> bool | None:
        """Whether a worker reported in recently; None when jobs run in this process."""
        ...

    async def close(self) -> None: ...


class PayloadArchive(Protocol):
    """Rule C13's support archive: payloads sent per record and run (keep-payloads switch),
    purged after the retention period; P4 scrubs an anonymised person's traces."""

    async def keep(
        self, system: str, run_id: int | None, key: RecordKey, payload: bytes
    ) -> None: ...

    async def scrub(self, system: str, key: RecordKey) -> int:
        """Delete the record's archived payloads and blank its protocol messages."""
        ...

    async def purge(self, system: str, before: dt.datetime, *, batch: int = 1000) -> int:
        """Delete archived payloads and protocol entries older than ``before``, in batches
        (each its own short transaction, so runs are never blocked for long)."""
        ...
