"""The events an operator is told about, and the calls that report them.

Conditions read from the shared state by the monitor (``monitor.py``): a failed run, parked
inbound events (the first, and more than the threshold), the inbound lag. Events the code
paths report with a plain function call here (no I/O, never raises, so a run or a job is
never slowed or stopped by alerting); the process's alert loop writes them to the database
within seconds (``drain``):

- ``breaker_tripped(system, run_id)``: the run stopped because casavi stopped answering;
- ``docuware_logon(system, licence_available)``: a DocuWare logon failed for want of a
  licence (False) or succeeded (True, which resolves the incident);
- ``contract_deviation(operation, system=None)``: casavi answered outside the contract we
  rely on (openapi/casavi.yaml). The counter ``gateway_casavi_contract_deviations_total
  {operation}`` is meant to call it beside its ``inc()``; without a system, every active
  system is told.

A configuration change of an active system is recorded with the change itself
(``ConfigRows``, behind the ``Configs`` port), in the same transaction.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.calendar import utcnow

if TYPE_CHECKING:
    from app.adapters.store.alerts import AlertIncident


class Event(StrEnum):
    RUN_FAILED = "run_failed"
    BREAKER_TRIPPED = "breaker_tripped"
    INBOUND_PARKED = "inbound_parked"
    INBOUND_PARKED_MANY = "inbound_parked_many"
    INBOUND_LAG = "inbound_lag"
    DOCUWARE_LICENCE = "docuware_licence"
    CASAVI_CONTRACT = "casavi_contract"
    CONFIG_CHANGED = "config_changed"


# A notice has no "resolved" (a configuration change is done when it is made).
NOTICES = frozenset({Event.CONFIG_CHANGED})
_OPERATION = re.compile(r"[^A-Za-z0-9 _./{}:-]")


@dataclass(frozen=True)
class Signal:
    event: Event
    system: str | None  # None: every active system
    raised: bool  # False: the condition is over
    subject: str = ""
    facts: dict[str, int | str] = field(default_factory=dict)


# Process-wide, like a Prometheus counter: the alert loop of this process drains it.
_pending: deque[Signal] = deque(maxlen=1000)


def signal(item: Signal) -> None:
    _pending.append(item)


def drain() -> list[Signal]:
    taken = list(_pending)
    _pending.clear()
    return taken


def breaker_tripped(system: str, run_id: int) -> None:
    signal(Signal(Event.BREAKER_TRIPPED, system, True, facts={"run": run_id}))


def run_stopped(system: str, run_id: int, exc: BaseException) -> None:
    """A run ended with ``exc``: when the breaker stopped it, that is ``breaker_tripped``."""
    from app.sync.outbound.breaker import CasaviDown

    if isinstance(exc, CasaviDown):
        breaker_tripped(system, run_id)


def docuware_logon(system: str, licence_available: bool) -> None:
    signal(Signal(Event.DOCUWARE_LICENCE, system, not licence_available))


def contract_deviation(operation: str, system: str | None = None) -> None:
    # The operation is a name or route template; nothing longer or stranger reaches a message.
    subject = _OPERATION.sub("", operation)[:80] or "unknown"
    signal(Signal(Event.CASAVI_CONTRACT, system, True, subject=subject))


def config_change_notice(system: str, fields: list[str]) -> AlertIncident:
    """The notice of a change to an active system's configuration (setting names only)."""
    from app.adapters.store.alerts import notice

    shown = fields[:30] + ([f"... {len(fields) - 30} more"] if len(fields) > 30 else [])
    return notice(system, Event.CONFIG_CHANGED, {"fields": shown}, utcnow())
