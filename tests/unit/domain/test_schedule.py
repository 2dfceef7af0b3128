"""Rule C14: scheduled runs every N minutes, none in the quiet hours (Europe/Berlin)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.schedule import in_quiet_hours, run_due

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 13:00 in Berlin (CET)


@pytest.mark.parametrize(
    ("last", "interval", "due"),
    [
        (None, 5, True),  # never ran: run now
        (NOW - timedelta(minutes=5), 5, True),  # rule C14: exactly the interval
        (NOW - timedelta(minutes=4, seconds=59), 5, False),
        (NOW - timedelta(hours=2), 60, True),
    ],
)
def test_interval(last: datetime | None, interval: int, due: bool) -> None:
    # rule C14
    assert run_due(NOW, last, interval) is due


@pytest.mark.parametrize(
    ("start", "end", "quiet"),
    [
        (time(12, 0), time(14, 0), True),  # 13:00 local is inside
        (time(13, 0), time(14, 0), True),  # start is inclusive
        (time(11, 0), time(13, 0), False),  # end is exclusive
        (time(22, 0), time(6, 0), False),  # wraps midnight, 13:00 is outside
        (time(12, 30), time(12, 30), False),  # empty window
    ],
)
def test_quiet_hours_in_local_time(start: time, end: time, quiet: bool) -> None:
    # rule C14: quiet hours are Berlin wall-clock times
    assert in_quiet_hours(NOW, start, end) is quiet
    assert run_due(NOW, None, 5, (start, end)) is (not quiet)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_window_and_its_complement_cover_every_moment(moment: datetime) -> None:
    # rule C14: [22:00, 06:00) and [06:00, 22:00) split the day, across DST changes too
    night = in_quiet_hours(moment, time(22, 0), time(6, 0))
    day = in_quiet_hours(moment, time(6, 0), time(22, 0))
    assert night != day
