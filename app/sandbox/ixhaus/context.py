"""Shared state of one generator run: spec, seeded randomness, pools and date edges."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.calendar import start_of_previous_year
from app.sandbox.ixhaus.pools import Pools, build_pools
from app.sandbox.ixhaus.profiles import ProfileSpec

Row = dict[str, object]
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Context:
    spec: ProfileSpec
    seed: int
    today: date
    pools: Pools = field(init=False)
    now: datetime = field(init=False)
    boundary: datetime = field(init=False)
    # Filled while generating, read by later tables (kept small: dates and flags only).
    contract_objects: list[int] = field(default_factory=list)
    reported_at: list[datetime] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pools = build_pools(self.seed)
        # Noon in Berlin on ``today``: the moment the rules are evaluated in tests/demo.
        self.now = datetime.combine(self.today, time(12), BERLIN).astimezone(UTC)
        self.boundary = start_of_previous_year(self.now).astimezone(UTC)

    def rnd(self, table: str) -> random.Random:
        # One independent stream per table: adding a column to one table never shifts
        # the values of another.
        return random.Random(f"{self.seed}:{table}")

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def at(self, day: date, rnd: random.Random) -> datetime:
        return datetime.combine(day, time(rnd.randint(7, 18), rnd.randint(0, 59)), UTC)

    def past_moment(self, rnd: random.Random, max_days: int) -> datetime:
        return self.now - timedelta(minutes=rnd.randint(60, max_days * 1440))
