"""Rule C14: when a scheduled sync run is due (the old task ran every 5 minutes).

Pure: given the last scheduled run, the interval and the optional quiet hours (local time in
Europe/Berlin, possibly wrapping midnight), decide whether a run should start now.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(now: datetime, start: time, end: time, tz: str = "Europe/Berlin") -> bool:
    """True when ``now`` falls in [start, end) local time; start > end wraps midnight."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(ZoneInfo(tz)).time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def run_due(
    now: datetime,
    last_scheduled: datetime | None,
    interval_minutes: int,
    quiet: tuple[time, time] | None = None,
    tz: str = "Europe/Berlin",
) -> bool:
    if quiet is not None and in_quiet_hours(now, quiet[0], quiet[1], tz):
        return False
    if last_scheduled is None:
        return True
    return now - last_scheduled >= timedelta(minutes=interval_minutes)


def clock(value: str) -> time:
    """'HH:MM' (validated by the configuration) as a time."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
