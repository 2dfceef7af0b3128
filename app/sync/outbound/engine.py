"""The one send engine: every write to casavi - a run's stages, documents, the triggers of
iX-Haus plus and an operator's re-send - goes through ``SendEngine.stage``.

Per record it decides, from the decision and the ledger entry, what casavi needs
(``settle``): nothing (unchanged, still excluded, its retry not due), a protocol line without
a write (newly excluded), a write (create or update) or a removal. Writes go out up to
``policy.concurrency`` at a time; a send frees its slot as soon as casavi answered and hands
its outcome to the ``LedgerWriter``, which writes it to the ledger and the protocol within
``policy.ledger_flush_seconds`` (or once ``policy.ledger_batch`` outcomes wait) and when the
stage ends, fails or is cancelled. The counts (``Tally``) are the protocol's lines by outcome
plus what needs no line (unchanged, waiting), so a run's totals always match its protocol.

Safety at the seams:
- **Write-ahead.** A record casavi never had is marked ``pending`` in the ledger (one commit
  per wave of ``policy.write_ahead_wave`` creates) before its create goes out. A crash in
  between leaves the mark: the next attempt looks in casavi before writing
  (``presence="unknown"``), so nothing is created twice and nothing is deleted to be
  re-created.
- **Parents first.** Every id a write names comes from the run's ``IdentityMap``. A record
  whose parent's state is unsettled (its create failed, or is pending) raises
  ``ParentUnsettled`` while it is prepared - before any request - and waits untouched.
- **One breaker per run.** Transport failures in a row across all stages (documents too)
  stop the run (``CasaviDown``); so does casavi refusing the credentials.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Container
from datetime import datetime
from functools import partial
from typing import Any

from app.domain.calendar import utcnow
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.fingerprint import fingerprint
from app.domain.identity import IdentityMap, ParentUnsettled
from app.domain.keys import EntityKind, RecordKey
from app.sync.outbound.breaker import Breaker, describe, is_transport_failure
from app.sync.outbound.digests import Decided, Digested
from app.sync.outbound.outcomes import (
    LedgerWriter,
    Send,
    Tally,
    TicketStatusOf,
    failed_outcome,
    held_in_casavi,
    removed_outcome,
    restated,
    restated_sent,
    retry_not_due,
    sent_outcome,
)
from app.sync.outbound.senders import Sender
from app.sync.outbound.sends import Sends
from app.sync.policy import RunPolicy
from app.sync.ports import LedgerEntry, Outcome, Presence
from app.sync.stores import BoundLedger, BoundPortalStates

log = logging.getLogger(__name__)

DEFAULT_POLICY = RunPolicy()

# Called after a record was written, with its ledger entry from before (tickets: the
# conflict base and S2; the support archive).
AfterSend = Callable[[Transfer[Any], LedgerEntry | None], Awaitable[None]]


class SendEngine:
    """One run's (or one trigger's) sending: shared identity map, breaker and tally, over
    one system's ledger (bound: the engine never names its system)."""

    def __init__(
        self,
        *,
        run_id: int | None,
        ledger: BoundLedger,
        ids: IdentityMap,
        policy: RunPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = utcnow,
        tally: Tally | None = None,
        breaker: Breaker | None = None,
        recovering: bool = False,
        written_before: Container[str] = (),
        after_any_send: AfterSend | None = None,
        identities_from_stages: Collection[EntityKind] = (),
    ) -> None:
        self.run_id, self.ledger, self.ids = run_id, ledger, ids
        # Kinds the map does not hold yet: each is added as its stage reads the kind's
        # ledger (one read of the ledger per kind and run).
        self._identities_to_add = set(identities_from_stages)
        self.policy, self.clock = policy, clock
        self.tally = Tally() if tally is None else tally
        self.breaker = Breaker(policy.breaker_threshold) if breaker is None else breaker
        # The gateway lost its state while casavi kept its records: a record the ledger
        # does not know may be in casavi (look before writing).
        self.recovering = recovering
        # Ledger keys an earlier job of this run wrote (a continued run): found unchanged
        # now, they were counted by that job's protocol lines already.
        self._written_before = written_before
        self._after_any_send = after_any_send
        # The last write casavi refused or could not take (a trigger reports it).
        self.last_failure: Exception | None = None

    async def stage(
        self,
        kind: EntityKind,
        decisions: AsyncIterator[Decided],
        sender: Sender,
        *,
        known: dict[str, LedgerEntry] | None = None,
        states: BoundPortalStates | None = None,
        status_of: TicketStatusOf | None = None,
        after_send: AfterSend | None = None,
        force: RecordKey | None = None,
        retry_now: bool = False,
        concurrency: int | None = None,
    ) -> Tally:
        """Settle and send one kind's decisions; the stage's own tally (also added to the
        engine's). ``force`` is a record sent even when unchanged (an operator's re-send);
        ``retry_now`` tries failed records before their backoff has passed (staff pushed
        them); ``known`` holds the kind's ledger entries by ledger key (loaded unless given).
        Raises ``CasaviDown`` when the breaker trips."""
        forced = None if force is None else force.ledger_key
        known = await self.ledger.load(kind) if known is None else known
        if kind in self._identities_to_add:
            self._identities_to_add.discard(kind)
            self.ids.add_kind(kind.value, ((k, e.state, e.casavi_id) for k, e in known.items()))
        tally = Tally()
        writer = LedgerWriter(self, kind, known, states, status_of)
        hooks = [h for h in (after_send, self._after_any_send) if h is not None]
        sends = Sends(
            partial(self._write, sender=sender, tally=tally),
            writer,
            width=concurrency or self.policy.concurrency,
            wave=self.policy.write_ahead_wave,
            after=partial(self._after_write, hooks=hooks) if hooks else None,
        )
        ticker = asyncio.create_task(writer.tick())
        try:
            async for item in decisions:
                if self.breaker.tripped is not None or ticker.done():
                    self.breaker.check()
                    writer.check(ticker)
                digest = None
                if isinstance(item, Digested):
                    entry = known.get(item.ledger_key)
                    digest = item.digest
                    if (
                        entry is not None
                        and entry.input_digest == digest
                        and item.ledger_key != forced
                        and self._as_recorded(item.ledger_key, entry, tally)
                    ):
                        continue  # the common case of every run: its inputs are as recorded
                    decision = item.decide()
                else:
                    decision = item
                    entry = known.get(decision.key.ledger_key)
                key = decision.key
                if (
                    entry is not None
                    and entry.state == "sent"
                    and type(decision) is Transfer
                    and key != force
                    and entry.fingerprint == fingerprint(decision.record)
                ):
                    # casavi holds the record as it is (its inputs changed, it did not).
                    self._count_unchanged(key.ledger_key, tally)
                    if digest is not None and entry.input_digest != digest:
                        writer.restate(restated_sent(decision, entry, digest))
                    continue
                sending = self._settle(decision, entry, sender, tally, force, retry_now, digest)
                if isinstance(sending, Send):
                    await sends.admit(sending)
                elif isinstance(sending, Outcome):
                    if sending.restated:
                        writer.restate(sending)
                    else:
                        writer.add(sending, decision)
            await sends.finish()
            self.breaker.check()
            writer.check(ticker)
        except BaseException:
            await sends.cancel()
            raise
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            # What casavi holds now is written even when the stage fails or is cancelled -
            # and before the stage ends, so a job that continues the run never races it.
            flush = asyncio.ensure_future(writer.flush())
            try:
                await asyncio.shield(flush)
            except asyncio.CancelledError:
                await flush
                raise
            finally:
                self.tally.add(tally)
        return tally

    # -- deciding ---------------------------------------------------------------------------
    def _as_recorded(self, ledger_key: str, entry: LedgerEntry, tally: Tally) -> bool:
        """A record (not forced) whose inputs digest as recorded with its outcome: the same
        outcome again, counted as ``stage`` and ``_settle`` count it, without deciding it."""
        if entry.state == "sent":
            self._count_unchanged(ledger_key, tally)
            return True
        if entry.state in ("excluded", "deleted") and not self.ids.holds_ledger_key(ledger_key):
            tally.unchanged += 1  # still left out for the same reason (see ``_settle``)
            tally.still_excluded += 1
            return True
        return False

    def _count_unchanged(self, ledger_key: str, tally: Tally) -> None:
        written_before = self._written_before
        if not written_before or ledger_key not in written_before:
            tally.unchanged += 1

    def _settle(
        self,
        decision: Decision[Any],
        entry: LedgerEntry | None,
        sender: Sender,
        tally: Tally,
        force: RecordKey | None,
        retry_now: bool,
        digest: str | None = None,
    ) -> Send | Outcome | None:
        """What a decision that is not simply unchanged (``stage`` tells those apart first)
        needs: a write or removal (``Send``), a protocol line without a write (``Outcome``),
        or nothing (None; counted as unchanged or waiting)."""
        key = decision.key
        forced = key == force
        if not (forced or retry_now) and retry_not_due(entry, self.clock()):
            tally.waiting += 1  # still failing; tried again once its backoff has passed
            return None
        held = held_in_casavi(entry) or self.ids.holds(key)
        if isinstance(decision, Transfer):
            try:
                write = sender.prepare(decision, self.ids)
            except ParentUnsettled as exc:
                log.info("%s waits: %s", key.ledger_key, exc)
                tally.waiting += 1
                return None
            except Exception as exc:  # the record cannot be mapped (no e-mail, no author)
                return self._failed(decision, entry, exc, tally)
            return Send(decision, entry, self._presence(key, entry, held), write, digest)
        if held or (entry is not None and entry.state == "pending"):
            # Rules P3, D2, T5 - or a record that left the eligible set: casavi drops it.
            return Send(decision, entry, "held", None, digest)
        reason = decision.reason.value
        left_out = entry is not None and entry.state in ("excluded", "deleted")
        if left_out and entry is not None and entry.reason_code == reason:
            tally.unchanged += 1  # still left out for the same reason: no new line
            tally.still_excluded += 1
            if digest is None or entry.input_digest == digest:
                return None
            return restated(entry, key, digest)  # the same outcome, from other inputs
        tally.excluded += 1
        return Outcome(key=key, state="excluded", reason_code=reason, input_digest=digest)

    def _presence(self, key: RecordKey, entry: LedgerEntry | None, held: bool) -> Presence:
        if held:
            return "held"
        if (entry is not None and entry.state == "pending") or (entry is None and self.recovering):
            return "unknown"
        return "new"

    # -- sending ------------------------------------------------------------------------------
    async def _write(self, item: Send, *, sender: Sender, tally: Tally) -> Outcome:
        """One write of a stage (``Sends`` runs it in a slot): casavi writes or removes the
        record; its outcome (a failure is an outcome, rule L3)."""
        self.breaker.check()
        decision, entry = item.decision, item.entry
        try:
            if item.write is not None and isinstance(decision, Transfer):
                outcome = sent_outcome(decision, await item.write(item.presence), item.digest)
            else:
                assert isinstance(decision, Delete | Exclude)
                await sender.remove(decision.key, self.ids)
                outcome = removed_outcome(decision, entry, item.digest)
        except Exception as exc:  # one record's failure never stops the run (rule L3)
            self.breaker.failure(exc)
            return self._failed(decision, entry, exc, tally)
        self.breaker.success()
        if outcome.removed:
            tally.removed += 1
            return outcome
        tally.sent += 1
        return outcome

    @staticmethod
    async def _after_write(item: Send, outcome: Outcome, *, hooks: list[AfterSend]) -> None:
        """The hooks after a record was sent (``Sends`` runs them outside the send's slot,
        before the ledger takes its outcome)."""
        decision = item.decision
        if outcome.state == "sent" and not outcome.removed and isinstance(decision, Transfer):
            for hook in hooks:
                await hook(decision, item.entry)

    def _failed(
        self, decision: Decision[Any], entry: LedgerEntry | None, exc: Exception, tally: Tally
    ) -> Outcome:
        """A record's failure as its outcome: the error, and when to try again."""
        key = decision.key
        self.last_failure = exc
        tally.errors += 1
        log.warning("%s failed: %s", key.ledger_key, type(exc).__name__)
        attempts = (entry.attempts if entry is not None and entry.state == "error" else 0) + 1
        # casavi being away is no fault of the record: the next run tries it at once.
        transport = is_transport_failure(exc)
        retry_at = None if transport else self.policy.retry_at(self.clock(), attempts)
        return failed_outcome(key, entry, describe(exc), attempts, retry_at)
