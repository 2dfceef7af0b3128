"""What the send engine records: the tally (the protocol's counts) and the way to the
ledger - outcomes (and S1 states) written by a background ticker as soon as
``policy.ledger_batch`` are waiting or ``policy.ledger_flush_seconds`` have passed, and when
a stage ends; creates marked ``pending`` before they go out (write-ahead, one write per
``policy.write_ahead_wave`` creates). A send hands its outcome over and frees its slot at
once: casavi never waits for the ledger. An interrupted write keeps its outcomes for the next
one: nothing casavi holds is forgotten by the gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.fingerprint import field_digests, fingerprint
from app.domain.keys import EntityKind, RecordKey
from app.sync.ports import (
    LedgerEntry,
    Outcome,
    PortalStatus,
    PortalWrite,
    Presence,
    RunCounts,
)
from app.sync.ports.records import LinkState

if TYPE_CHECKING:
    from app.sync.outbound.engine import SendEngine
    from app.sync.stores import BoundPortalStates

# Rule S1 of a ticket decision (tickets only).
TicketStatusOf = Callable[[Decision[Any], Outcome], PortalStatus]


class Tally(msgspec.Struct):
    """What happened to the records, as the protocol counts them (see ``RunCounts``)."""

    sent: int = 0  # lines "sent"
    removed: int = 0  # lines "deleted"
    unchanged: int = 0
    excluded: int = 0  # lines "excluded"
    errors: int = 0  # lines "error"
    waiting: int = 0
    # Of ``unchanged``: left out by a rule for the same reason as before (no new line).
    still_excluded: int = 0

    def add(self, other: Tally) -> None:
        for name in Tally.__struct_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_run_counts(self) -> RunCounts:
        return RunCounts(
            sent=self.sent + self.removed,
            unchanged=self.unchanged,
            excluded=self.excluded,
            errors=self.errors,
            waiting=self.waiting,
        )


class Send(msgspec.Struct, gc=False):
    """One write or removal on its way to casavi."""

    decision: Transfer[Any] | Delete | Exclude
    entry: LedgerEntry | None
    presence: Presence
    write: PortalWrite | None  # None: a removal
    digest: str | None = None  # of the decision's inputs (recorded with the outcome)


class LedgerWriter:
    """Outcomes (and S1 states) on their way to the ledger: by the ticker (``tick``) once
    ``policy.ledger_batch`` outcomes wait or every ``policy.ledger_flush_seconds``, and at the
    stage's end (``flush``)."""

    def __init__(
        self,
        engine: SendEngine,
        kind: EntityKind,
        known: dict[str, LedgerEntry],
        states: BoundPortalStates | None,
        status_of: TicketStatusOf | None,
    ) -> None:
        self._engine, self._kind, self._known = engine, kind, known
        self._states, self._status_of = states, status_of
        self._outcomes: list[Outcome] = []
        self._statuses: list[PortalStatus] = []
        self._lock = asyncio.Lock()
        self._full = asyncio.Event()

    def add(self, outcome: Outcome, decision: Decision[Any]) -> None:
        self._outcomes.append(outcome)
        self._engine.ids.learn(outcome.key, outcome.state, outcome.casavi_id)
        if self._status_of is not None:
            self._statuses.append(self._status_of(decision, outcome))
        if len(self._outcomes) >= self._engine.policy.ledger_batch:
            self._full.set()  # the ticker writes them now

    def restate(self, outcome: Outcome) -> None:
        """An outcome as recorded, written again for its new input digest: nothing is learnt,
        no S1 state is written (``Outcome.restated``)."""
        self._outcomes.append(outcome)
        if len(self._outcomes) >= self._engine.policy.ledger_batch:
            self._full.set()

    async def flush(self) -> None:
        async with self._lock:
            outcomes, self._outcomes = self._outcomes, []
            statuses, self._statuses = self._statuses, []
            try:
                if outcomes:
                    engine = self._engine
                    await engine.ledger.save(
                        self._kind, outcomes, self._known, run_id=engine.run_id
                    )
                    outcomes = []
                if statuses and self._states is not None:
                    await self._states.save(statuses)
            except BaseException:
                # Not written: kept for the next flush (nothing casavi holds is forgotten).
                self._outcomes[:0] = outcomes
                self._statuses[:0] = statuses
                raise

    async def write_ahead(self, sends: list[Send]) -> None:
        """Mark the creates of a wave ``pending`` (no protocol line) before they go out."""
        marks = [Outcome(key=s.decision.key, state="pending") for s in sends]
        if not marks:
            return
        async with self._lock:
            engine = self._engine
            await engine.ledger.save(self._kind, marks, self._known, run_id=engine.run_id)

    async def tick(self) -> None:
        """Write what waits when a batch is full or the flush interval has passed; ends with
        the error of a write that failed (``check``)."""
        seconds = self._engine.policy.ledger_flush_seconds
        while True:
            try:
                async with asyncio.timeout(seconds):
                    await self._full.wait()
            except TimeoutError:
                pass
            self._full.clear()
            # Shielded: the stage ending (it cancels the ticker) never cuts a write short.
            await asyncio.shield(self.flush())

    @staticmethod
    def check(ticker: asyncio.Task[None]) -> None:
        """Raise the error of a ledger write the ticker could not make (the stage stops:
        casavi is not written to while the gateway cannot record it)."""
        if ticker.done() and not ticker.cancelled():
            ticker.result()


def restated(entry: LedgerEntry, key: RecordKey, digest: str) -> Outcome:
    """The entry's outcome as recorded, with the digest of its inputs now."""
    return Outcome(
        key=key,
        state=entry.state,
        fingerprint=entry.fingerprint,
        casavi_id=entry.casavi_id,
        reason_code=entry.reason_code,
        input_digest=digest,
        restated=True,
    )


def restated_sent(decision: Transfer[Any], entry: LedgerEntry, digest: str) -> Outcome:
    """A sent record unchanged in casavi, with the digest of its inputs now (and its field
    digests, which the ledger row keeps)."""
    outcome = restated(entry, decision.key, digest)
    return msgspec.structs.replace(outcome, field_digests=field_digests(decision.record))


def sent_outcome(decision: Transfer[Any], casavi_id: str, digest: str | None) -> Outcome:
    """What casavi holds after a write (the ledger's ``sent``)."""
    return Outcome(
        key=decision.key,
        state="sent",
        fingerprint=fingerprint(decision.record),
        casavi_id=casavi_id,
        reason_code=decision.note.value if decision.note else None,
        field_digests=field_digests(decision.record),
        input_digest=digest,
    )


def removed_outcome(
    decision: Delete | Exclude, entry: LedgerEntry | None, digest: str | None
) -> Outcome:
    """A record casavi no longer holds: deleted (rules P3, D2, T5) or left the eligible set."""
    state: LinkState = "deleted" if isinstance(decision, Delete) else "excluded"
    return Outcome(
        key=decision.key,
        state=state,
        removed=True,
        reason_code=decision.reason.value,
        casavi_id=entry.casavi_id if entry else None,
        input_digest=digest,
    )


def failed_outcome(
    key: RecordKey,
    entry: LedgerEntry | None,
    error: str,
    attempts: int,
    retry_at: datetime | None,
) -> Outcome:
    """A record's failure (rule L3): the error, the attempts and when to try again."""
    return Outcome(
        key=key,
        state="error",
        error=error,
        # Kept only while casavi holds the record (an update or removal failed).
        casavi_id=entry.casavi_id if entry is not None and held_in_casavi(entry) else None,
        attempts=attempts,
        next_attempt_at=retry_at,
    )


def held_in_casavi(entry: LedgerEntry | None) -> bool:
    """The ledger says casavi holds the record (sent; or a later write failed)."""
    if entry is None:
        return False
    return entry.state == "sent" or (entry.state == "error" and entry.casavi_id is not None)


def retry_not_due(entry: LedgerEntry | None, now: datetime) -> bool:
    """The record failed and its backoff has not passed yet."""
    return (
        entry is not None
        and entry.state == "error"
        and entry.next_attempt_at is not None
        and entry.next_attempt_at > now
    )
