"""casavi answers that do not match openapi/casavi.yaml: counted, logged once, announced.

Every answer the gateway reads is decoded into the contract's wire Structs
(``app.adapters.casavi.answers``); one that does not fit - a required field missing, a field
of another type, a value outside the contract - is a ``ContractDeviation``: the record
concerned fails with it as the reason, the rest go on. Each deviation is

- counted in this process (``counts()``), and by every subscriber;
- logged once per (operation, field) and process, without any value (no personal data);
- announced to every subscriber of ``on_contract_deviation`` - the hook for alerts, and the
  composition roots' recorder that keeps the counts in the gateway's database for the
  console overview and ``gateway_casavi_contract_deviations_total{operation}``.

Subscribers are called synchronously from the decode step; they must be quick and must not
raise (an exception is logged and swallowed: a subscriber never fails a casavi call).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ContractDeviation:
    system: str  # "" where the client was built without one
    operation: str  # the contract's operationId, e.g. "getTicket"
    field: str  # dotted path in the answer ("" = the answer as a whole)
    problem: str  # "missing", "expected str, got int", "value outside the contract", ...

    def describe(self) -> str:
        where = f"field {self.field!r}" if self.field else "the answer"
        return (
            f"casavi's answer to {self.operation} deviates from the contract: "
            f"{where} {self.problem}"
        )


Subscriber = Callable[[ContractDeviation], None]

_lock = threading.Lock()
_subscribers: list[Subscriber] = []
_logged: set[tuple[str, str]] = set()
_counts: Counter[ContractDeviation] = Counter()


def on_contract_deviation(subscriber: Subscriber) -> Callable[[], None]:
    """Call ``subscriber`` with every deviation from now on; returns the unsubscribe."""
    with _lock:
        _subscribers.append(subscriber)

    def unsubscribe() -> None:
        with _lock:
            if subscriber in _subscribers:
                _subscribers.remove(subscriber)

    return unsubscribe


def report(deviation: ContractDeviation) -> None:
    with _lock:
        _counts[deviation] += 1
        first = (deviation.operation, deviation.field) not in _logged
        _logged.add((deviation.operation, deviation.field))
        subscribers = list(_subscribers)
    if first:
        log.warning("%s (logged once per operation and field)", deviation.describe())
    for subscriber in subscribers:
        try:
            subscriber(deviation)
        except Exception as exc:  # a subscriber never fails the casavi call
            log.warning("contract deviation subscriber failed: %s", type(exc).__name__)


def counts() -> dict[ContractDeviation, int]:
    """Deviations seen by this process, with how often."""
    with _lock:
        return dict(_counts)


def forget() -> None:
    """Tests: start from no deviations (subscribers stay)."""
    with _lock:
        _counts.clear()
        _logged.clear()
