"""The retry policy of every HTTP client, stated once.

Transient, retried with exponential backoff and full jitter
(``sleep = random(0, min(cap, base * 2**(attempt-1)))``):
- connect errors and connect/pool timeouts: the request never left us, always safe;
- read/write errors and timeouts: retried for idempotent requests only; for a create the
  answer may have been lost after the server stored it, so the caller looks the record up first;
- 429: we wait what ``Retry-After`` says (seconds or HTTP-date, capped), never less; without
  one we back off;
- 502, 503, 504: the server or its proxy is overloaded or restarting (for a create, 502/504 may
  hide a stored record, so they count as "outcome unknown" like a lost answer).
Never retried: every other 4xx (the request itself is wrong), other 5xx, redirects.
A wait that would outlast the call's overall deadline is not started: the call fails at once
with ``DeadlineExceeded`` whose ``retry_after`` tells the job layer when to try again.
When the tries run out the caller gets ``Unavailable``; the job layer above decides whether to
retry later and records the failure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Statuses after which a non-idempotent request may still have been applied upstream.
UNCERTAIN_STATUSES = frozenset({502, 504})
# Raised before any byte was sent: retrying can never duplicate anything.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_cap: float = 10.0
    # An upper bound for one Retry-After wait, against a server asking for hours.
    retry_after_cap: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay before try ``attempt + 1`` (``attempt`` counts from 1)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not a secret

    def delay_for_status(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            waited = parse_retry_after(response.headers.get("Retry-After"))
            if waited is not None:
                return min(waited, self.retry_after_cap)
        return self.backoff(attempt)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
