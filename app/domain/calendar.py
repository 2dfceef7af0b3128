"""Calendar edges of the rules, exact to the day, in the configured zone (Europe/Berlin).

- C3/D4: "since the start of the previous calendar year" = 1 January 00:00 local time of
  (local year of *now*) - 1, inclusive.
- C15/P3: a moved-out tenant is reported deleted from ``move_out + N days`` on (inclusive).
- C10: portal access opens ``N days`` before contract start (inclusive).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def start_of_previous_year(now: datetime, tz: str = "Europe/Berlin") -> datetime:
    """1 January of last year, 00:00 in ``tz``, as an aware datetime (C3, D4)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    return datetime(local.year - 1, 1, 1, tzinfo=zone)


def local_today(now: datetime, tz: str = "Europe/Berlin") -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz)).date()


def on_or_after(moment: datetime, boundary: datetime) -> bool:
    """Compare instants; naive values are taken as UTC (SQLite drops offsets)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment >= boundary


def deletion_date(move_out: date, deletion_days: int) -> date:
    """C15: first day on which the moved-out tenant is reported as deleted."""
    return move_out + timedelta(days=deletion_days)


def deletion_due(move_out: date, deletion_days: int, today: date) -> bool:
    return today >= deletion_date(move_out, deletion_days)


def portal_access_from(contract_start: date, lead_days: int) -> date:
    """C10: first day of portal access for a contract."""
    return contract_start - timedelta(days=lead_days)


def portal_access_open(contract_start: date, lead_days: int, today: date) -> bool:
    return today >= portal_access_from(contract_start, lead_days)


def utcnow() -> datetime:
    """The current moment, UTC-aware (the one clock the gateway's flows default to)."""
    return datetime.now(UTC)
