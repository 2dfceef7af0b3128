"""Failed authentications, counted so that nobody can lock out a valid key (issue 23 item 2).

A failure is counted twice: for the client's address and for the presented key's prefix
(``pgw_<8 hex>``, the public part of a gateway key; anything that is not a gateway key counts
for one shared "not a gateway key" prefix). A client over either budget gets 429 with
``Retry-After`` -- but only after its key has been looked up and found wanting: a valid key
is never refused for failures that others (behind the same NAT or proxy) made, nor for
failures of a revoked key with another prefix. Guessing a key is hopeless (256 random bits);
the budgets tell a misconfigured client to back off and keep the failures cheap.

Each budget is a token bucket (``capacity`` failures, refilled evenly over ``period_seconds``)
kept in this process's memory, bounded: the least recently seen entries are forgotten.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable

# A gateway key: ``pgw_<8 hex>_<secret>`` (``app.adapters.store.api_keys.new_key``).
_GATEWAY_KEY_PREFIX = re.compile(r"pgw_[0-9a-f]{8}(?=_)")
NOT_A_GATEWAY_KEY = "other"


def key_prefix(key: str) -> str:
    """The public part of a presented key; never any of its secret part."""
    found = _GATEWAY_KEY_PREFIX.match(key)
    return found.group(0) if found else NOT_A_GATEWAY_KEY


class FailureLimiter:
    """A token bucket of failures per name: ``capacity`` tokens, refilled evenly over
    ``period_seconds``. Bounded in memory: the least recently seen names are forgotten."""

    def __init__(
        self,
        capacity: int,
        *,
        period_seconds: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._capacity = float(capacity)
        self._rate = capacity / period_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, name: str) -> float:
        tokens, stamp = self._buckets.get(name, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - stamp) * self._rate)

    def retry_after(self, name: str) -> int | None:
        """Seconds until ``name`` may fail again, or None if it has budget left."""
        tokens = self._tokens(name)
        if tokens >= 1:
            return None
        return max(1, math.ceil((1 - tokens) / self._rate))

    def failed(self, name: str) -> None:
        self._buckets[name] = (max(0.0, self._tokens(name) - 1), self._clock())
        self._buckets.move_to_end(name)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)

    def forget(self, name: str) -> None:
        self._buckets.pop(name, None)


class AuthFailures:
    """Failures per client address and per presented key prefix, each with its own budget."""

    def __init__(
        self,
        capacity: int,
        *,
        period_seconds: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.addresses = FailureLimiter(
            capacity, period_seconds=period_seconds, max_clients=max_clients, clock=clock
        )
        self.prefixes = FailureLimiter(
            capacity, period_seconds=period_seconds, max_clients=max_clients, clock=clock
        )

    def failed(self, address: str, key: str | None) -> int | None:
        """Count a refused authentication (``key``: what was presented, if anything) and
        return the seconds to wait when the address or the key's prefix was over its budget
        already (answer 429), else None (answer 401 or 403)."""
        prefix = key_prefix(key) if key else None
        waits = [self.addresses.retry_after(address)]
        self.addresses.failed(address)
        if prefix is not None:
            waits.append(self.prefixes.retry_after(prefix))
            self.prefixes.failed(prefix)
        refused = [wait for wait in waits if wait is not None]
        return max(refused) if refused else None

    def succeeded(self, address: str) -> None:
        """A valid sign-in from ``address`` clears its address budget."""
        self.addresses.forget(address)
