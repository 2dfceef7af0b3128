"""casavi answers outside the contract, as the gateway keeps count of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import msgspec


class DeviationCount(msgspec.Struct, frozen=True, kw_only=True):
    system: str
    operation: str  # the contract's operationId
    field: str  # where in the answer ("" = the answer as a whole); never a value
    problem: str  # "missing", "expected str, got int", ...
    times: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime


class ContractDeviations(Protocol):
    async def add(self, seen: Sequence[DeviationCount]) -> None:
        """Count these (``times`` more each; ``last_seen_at`` moves)."""
        ...

    async def of_system(self, system: str) -> list[DeviationCount]:
        """The system's deviations, the most recent first."""
        ...

    async def by_operation(self) -> dict[str, int]:
        """How often each operation's answers deviated, over every system."""
        ...
