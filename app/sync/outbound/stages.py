"""Outbound stages (iX-Haus -> casavi): decide every record, send only what changed.

For each entity kind, in dependency order (objects before units before persons and tickets):
load the ledger, stream the decisions, and per record compare the fingerprint of the
canonical portal record with what was last sent. Only new or changed records are written to
casavi, up to ``policy.concurrency`` at a time within a stage (a stage ends only when all of
its sends have, so the next stage's references exist); records that turned into a deletion
(or that left the eligible set after being sent) are removed.

Every change of state goes to the ledger and the protocol promptly (every
``policy.ledger_batch`` outcomes or ``policy.ledger_flush_seconds``, and when the stage ends,
fails or is cancelled), so a crash forgets at most the sends of the last second; casavi's
writes are idempotent by reference id, so re-sending those converges.

A breaker stops the run after ``policy.breaker_threshold`` transport failures in a row
(casavi unreachable), or at once when casavi refuses the credentials, instead of trying
every record; the next run continues where this one stopped. A record casavi rejects is
retried on later runs with a capped backoff (``LedgerEntry.attempts``/``next_attempt_at``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.domain.calendar import utcnow
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.fingerprint import field_digests, fingerprint
from app.domain.keys import EntityKind, RecordKey
from app.domain.reasons import text
from app.errors import GatewayError
from app.sync.policy import RunPolicy
from app.sync.ports import (
    Ledger,
    LedgerEntry,
    LinkState,
    Outcome,
    Portal,
    PortalStates,
    PortalStatus,
    RunCounts,
)

log = logging.getLogger(__name__)

DEFAULT_POLICY = RunPolicy()
# Error codes that mean "casavi refuses us", not "casavi refuses this record".
_REFUSED = frozenset({"casavi-auth-failed"})
_AUTH = "/authenticate"

# Called after a record was sent, with its ledger entry from before (tickets: base, S2).
AfterSend = Callable[[Transfer[Any], LedgerEntry | None], Awaitable[None]]


class StageCounts(msgspec.Struct):
    sent: int = 0
    removed: int = 0
    unchanged: int = 0
    excluded: int = 0
    errors: int = 0

    def as_run_counts(self) -> RunCounts:
        return RunCounts(
            sent=self.sent + self.removed,
            unchanged=self.unchanged,
            excluded=self.excluded,
            errors=self.errors,
        )


class CasaviDown(GatewayError):
    """The breaker stopped the run: casavi is unreachable or refuses the gateway."""

    status = 503
    code = "casavi-unavailable"
    title = "casavi unavailable; the run stopped"


def is_transport_failure(exc: BaseException) -> bool:
    """casavi (or the network) failed, not the record: 503-class errors and socket errors."""
    if isinstance(exc, GatewayError):
        return exc.status == 503
    return isinstance(exc, OSError)


class _Breaker:
    def __init__(self, threshold: int) -> None:
        self.threshold = max(threshold, 1)
        self.in_a_row = 0
        self.tripped: str | None = None

    def success(self) -> None:
        self.in_a_row = 0

    def failure(self, exc: Exception) -> None:
        if self.tripped is not None:
            return  # sends still in flight when it tripped
        if isinstance(exc, GatewayError) and exc.code in _REFUSED:
            self.tripped = f"casavi refused the gateway's credentials: {_describe(exc)}"
        elif is_transport_failure(exc) and str(getattr(exc, "path", "")).endswith(_AUTH):
            # No token after the client's retries: no call of this run can succeed.
            self.tripped = f"casavi unavailable: cannot authenticate; {_describe(exc)}"
        elif is_transport_failure(exc):
            self.in_a_row += 1
            if self.in_a_row >= self.threshold:
                self.tripped = (
                    f"casavi unavailable: {self.in_a_row} calls in a row failed, the run "
                    f"stopped (the next run continues); last: {_describe(exc)}"
                )
        else:
            self.in_a_row = 0  # casavi answered: it refused this record only

    def check(self) -> None:
        if self.tripped is not None:
            raise CasaviDown(self.tripped)


class _Writer:
    """Outcomes (and S1 ticket states) on their way to the ledger, written promptly."""

    def __init__(
        self,
        ledger: Ledger,
        portal_states: PortalStates | None,
        system: str,
        kind: EntityKind,
        known: dict[RecordKey, LedgerEntry],
        run_id: int | None,
        policy: RunPolicy,
    ) -> None:
        self._ledger, self._states = ledger, portal_states
        self._system, self._kind, self._known, self._run_id = system, kind, known, run_id
        self._policy = policy
        self._outcomes: list[Outcome] = []
        self._statuses: list[PortalStatus] = []
        self._lock = asyncio.Lock()
        self._last = time.monotonic()

    def add(self, outcome: Outcome, decision: Decision[Any]) -> None:
        self._outcomes.append(outcome)
        if self._states is not None:
            self._statuses.append(ticket_portal_status(decision))

    async def maybe_flush(self) -> None:
        due = time.monotonic() - self._last >= self._policy.ledger_flush_seconds
        if len(self._outcomes) >= self._policy.ledger_batch or (due and self._outcomes):
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            self._last = time.monotonic()
            outcomes, self._outcomes = self._outcomes, []
            statuses, self._statuses = self._statuses, []
            if outcomes:
                await self._ledger.save(
                    self._system, self._kind, outcomes, self._known, run_id=self._run_id
                )
            if statuses and self._states is not None:
                await self._states.save(self._system, statuses)


async def run_stage(
    kind: EntityKind,
    decisions: AsyncIterator[Decision[Any]],
    *,
    system: str,
    run_id: int | None,
    ledger: Ledger,
    portal: Portal,
    known: dict[RecordKey, LedgerEntry] | None = None,
    portal_states: PortalStates | None = None,
    policy: RunPolicy = DEFAULT_POLICY,
    counts: StageCounts | None = None,
    now: datetime | None = None,
    after_send: AfterSend | None = None,
    force: RecordKey | None = None,
) -> StageCounts:
    """Process one entity kind; with ``portal_states`` (tickets) also record rule S1.

    ``counts`` (when given) is updated as records are done, so a stage that stops early
    still reports what it did. ``force`` is a record sent even when casavi should already
    have it (an operator's re-send). Raises ``CasaviDown`` when the breaker trips.
    """
    known = await ledger.load(system, kind) if known is None else known
    counts = StageCounts() if counts is None else counts
    now = now or datetime.now(UTC)
    writer = _Writer(ledger, portal_states, system, kind, known, run_id, policy)
    breaker = _Breaker(policy.breaker_threshold)
    slots = asyncio.Semaphore(max(policy.concurrency, 1))
    pending: set[asyncio.Task[None]] = set()

    async def send(decision: Decision[Any], entry: LedgerEntry | None) -> None:
        try:
            outcome, failure = await _send(decision, entry, portal, counts, policy)
            if failure is None:
                breaker.success()
            else:
                breaker.failure(failure)
            if after_send is not None and failure is None and isinstance(decision, Transfer):
                await after_send(decision, entry)
            writer.add(outcome, decision)
            await writer.maybe_flush()
        finally:
            slots.release()

    try:
        async for decision in decisions:
            breaker.check()
            entry = known.get(decision.key)
            if decision.key == force and isinstance(decision, Transfer):
                settled: Outcome | object | None = _SEND
            else:
                settled = _settle(decision, entry, counts, now)
            if settled is _SEND:
                await slots.acquire()
                breaker.check()
                task = asyncio.create_task(send(decision, entry))
                pending.add(task)
                task.add_done_callback(pending.discard)
            elif isinstance(settled, Outcome):
                writer.add(settled, decision)
                await writer.maybe_flush()
        while pending:
            await asyncio.gather(*pending)
        breaker.check()
    except BaseException:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
    finally:
        # What casavi holds now is written even when the stage fails or is cancelled.
        await asyncio.shield(writer.flush())
    return counts


_SEND = object()


def _settle(
    decision: Decision[Any], entry: LedgerEntry | None, counts: StageCounts, now: datetime
) -> Outcome | object | None:
    """What a decision needs without casavi: ``_SEND`` (a write), an Outcome to record, or
    None (nothing changed)."""
    was_sent = entry is not None and entry.state == "sent"
    if (
        entry is not None
        and entry.state == "error"
        and entry.next_attempt_at is not None
        and entry.next_attempt_at > now
    ):
        counts.errors += 1  # still failing; tried again once its backoff has passed
        return None
    if isinstance(decision, Transfer):
        if was_sent and entry is not None and entry.fingerprint == fingerprint(decision.record):
            counts.unchanged += 1
            return None
        return _SEND
    if isinstance(decision, Delete) or was_sent:
        # Rules P3, D2, T5 - and a record that left the eligible set after being sent.
        if was_sent:
            return _SEND
        counts.excluded += 1
        return _unless_same(
            entry, Outcome(key=decision.key, state="excluded", reason_code=_why(decision))
        )
    assert isinstance(decision, Exclude)
    counts.excluded += 1
    return _unless_same(
        entry, Outcome(key=decision.key, state="excluded", reason_code=decision.reason.value)
    )


def _why(decision: Decision[Any]) -> str:
    return decision.reason.value  # type: ignore[union-attr]


async def _send(
    decision: Decision[Any],
    entry: LedgerEntry | None,
    portal: Portal,
    counts: StageCounts,
    policy: RunPolicy,
) -> tuple[Outcome, Exception | None]:
    """Write one decision to casavi; its ledger outcome and the failure, if any."""
    key = decision.key
    try:
        if isinstance(decision, Transfer):
            digest = fingerprint(decision.record)
            known = entry is not None and entry.casavi_id is not None
            casavi_id = await portal.put(
                key, decision.record, exists=known, casavi_id=entry.casavi_id if entry else None
            )
            counts.sent += 1
            note = decision.note.value if decision.note else None
            outcome = Outcome(
                key=key,
                state="sent",
                fingerprint=digest,
                casavi_id=casavi_id,
                reason_code=note,
                field_digests=field_digests(decision.record),
            )
            return outcome, None
        await portal.remove(key, casavi_id=entry.casavi_id if entry else None)
        counts.removed += 1
        state: LinkState = "deleted" if isinstance(decision, Delete) else "excluded"
        outcome = Outcome(
            key=key,
            state=state,
            reason_code=_why(decision),
            casavi_id=entry.casavi_id if entry else None,
        )
        return outcome, None
    except Exception as exc:  # one record's failure never stops the run (rule L3)
        counts.errors += 1
        log.warning("%s failed: %s", key.ledger_key, type(exc).__name__)
        attempts = (entry.attempts if entry is not None and entry.state == "error" else 0) + 1
        # casavi being away is no fault of the record: the next run tries it at once.
        retry_at = None if is_transport_failure(exc) else policy.retry_at(utcnow(), attempts)
        outcome = Outcome(
            key=key,
            state="error",
            error=_describe(exc),
            fingerprint=None,
            casavi_id=entry.casavi_id if entry else None,
            attempts=attempts,
            next_attempt_at=retry_at,
        )
        return outcome, exc


def _unless_same(entry: LedgerEntry | None, outcome: Outcome) -> Outcome | None:
    if (
        entry is not None
        and entry.state == outcome.state
        and entry.reason_code == outcome.reason_code
    ):
        return None
    return outcome


def _describe(exc: Exception) -> str:
    # Adapter errors carry method, path, status and a truncated body - never secrets.
    body = getattr(exc, "body", "")
    return f"{type(exc).__name__}: {exc}{f': {body}' if body else ''}"[:1000]


def ticket_portal_status(decision: Decision[Any]) -> PortalStatus:
    """Rule S1: the 'service portal' field of a ticket."""
    number = decision.key.number
    if isinstance(decision, Transfer):
        status = "closed" if decision.record.closed else "open"
        return PortalStatus(ticket_number=number, transferred=True, portal_status=status)
    return PortalStatus(
        ticket_number=number,
        transferred=False,
        reason_code=decision.reason.value,
        reason_text=text(decision.reason, "de"),
    )
