"""How runs behave: concurrency, the breaker, heartbeats, takeover and time limits.

One ``RunPolicy`` per process, built by its composition root from the settings
(``SYNC_CONCURRENCY``, ``RUN_HEARTBEAT_SECONDS``, ``RUN_STALE_SECONDS``,
``RUN_TIME_LIMIT_SECONDS``); the defaults fit the worker's job timeout.
"""

from __future__ import annotations

import datetime as dt

import msgspec


class RunPolicy(msgspec.Struct, frozen=True, kw_only=True):
    # Sends in flight per stage (the casavi client's throttle allows 8 at once).
    concurrency: int = 8
    # This many transport failures in a row (casavi unreachable, 5xx after retries) stop the
    # run as failed; the next run continues where it stopped (the ledger knows what went out).
    breaker_threshold: int = 5
    # The ledger is written every ``ledger_batch`` outcomes or ``ledger_flush_seconds``,
    # whichever comes first: a crash forgets at most that much (and casavi's answers to the
    # repeated creates are adopted, so even that converges).
    ledger_batch: int = 100
    ledger_flush_seconds: float = 1.0
    # Creates are marked ``pending`` in the ledger before they go out, this many per write
    # (a first export writes one mark per wave, not per batch).
    write_ahead_wave: int = 500
    # A running run refreshes its heartbeat this often; one silent for ``stale_seconds`` is
    # taken over (its worker died) by the next trigger or schedule tick.
    heartbeat_seconds: float = 10.0
    stale_seconds: float = 60.0
    # A job works on a run for at most this long, then hands it to a fresh job that continues
    # where it stopped (below the worker's job timeout, so arq never kills a run), at most
    # ``max_attempts`` claims per run.
    time_limit_seconds: float = 540.0
    max_attempts: int = 24
    # A failed record is tried again after ``retry_base_seconds`` * 2^(attempts-1), capped.
    retry_base_seconds: float = 60.0
    retry_cap_seconds: float = 6 * 3600.0

    def retry_at(self, now: dt.datetime, attempts: int) -> dt.datetime:
        delay = self.retry_base_seconds * 2 ** min(max(attempts - 1, 0), 30)
        return now + dt.timedelta(seconds=min(delay, self.retry_cap_seconds))
