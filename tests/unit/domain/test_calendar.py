"""Calendar edges: start of the previous year (C3, D4), deletion (C15/P3), lead time (C10)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.calendar import (
    deletion_date,
    deletion_due,
    local_today,
    on_or_after,
    portal_access_from,
    portal_access_open,
    start_of_previous_year,
)

BERLIN = ZoneInfo("Europe/Berlin")
aware = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)
days = st.integers(min_value=0, max_value=3650)
dates = st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("now", "expected_utc"),
    [
        # rule C3: Berlin is UTC+1 in winter, so the boundary is 23:00 UTC on 31 Dec.
        (datetime(2026, 6, 15, 10, tzinfo=UTC), datetime(2024, 12, 31, 23, tzinfo=UTC)),
        # New Year's Eve 23:30 UTC is already 1 January in Berlin: the boundary moves on.
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), datetime(2024, 12, 31, 23, tzinfo=UTC)),
        (datetime(2025, 12, 31, 22, 59, tzinfo=UTC), datetime(2023, 12, 31, 23, tzinfo=UTC)),
    ],
)
def test_start_of_previous_year_in_berlin(now: datetime, expected_utc: datetime) -> None:
    # rule C3 / rule D4: "since the start of the previous calendar year", Berlin calendar
    assert start_of_previous_year(now) == expected_utc


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        start_of_previous_year(datetime(2026, 1, 1))


@given(aware)
def test_boundary_is_first_of_january_last_local_year(now: datetime) -> None:
    # rule C3 / rule D4 (property): 1 Jan 00:00 Berlin of last local year, never after now
    boundary = start_of_previous_year(now)
    local = boundary.astimezone(BERLIN)
    assert (local.month, local.day, local.hour, local.minute) == (1, 1, 0, 0)
    assert local.year == now.astimezone(BERLIN).year - 1
    assert boundary <= now
    assert on_or_after(boundary, boundary)
    assert not on_or_after(boundary - timedelta(microseconds=1), boundary)


def test_naive_moments_compare_as_utc() -> None:
    boundary = datetime(2024, 12, 31, 23, tzinfo=UTC)
    assert on_or_after(datetime(2024, 12, 31, 23), boundary)
    assert not on_or_after(datetime(2024, 12, 31, 22, 59), boundary)


@given(dates, days)
def test_deletion_due_exactly_n_days_after_move_out(move_out: date, n: int) -> None:
    # rule C15 / rule P3 (property): not due the day before, due on move_out + N
    due = deletion_date(move_out, n)
    assert due - move_out == timedelta(days=n)
    assert deletion_due(move_out, n, due)
    assert not deletion_due(move_out, n, due - timedelta(days=1))


@given(dates, days)
def test_portal_access_opens_exactly_n_days_before_start(start: date, n: int) -> None:
    # rule C10 (property): open from start - N inclusive, closed the day before
    opens = portal_access_from(start, n)
    assert start - opens == timedelta(days=n)
    assert portal_access_open(start, n, opens)
    assert not portal_access_open(start, n, opens - timedelta(days=1))


def test_local_today_uses_berlin_date() -> None:
    assert local_today(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)) == date(2026, 3, 2)
