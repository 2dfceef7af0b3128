"""The inbound pages' small decisions: how a failed action is shown, and the inbound lag."""

from __future__ import annotations

import datetime as dt

from app.console.routes_inbound import _problem
from app.console.routes_pages import inbound_lag
from app.errors import Conflict, GatewayError, InvalidInput, NotFound
from app.sync.ports import NewInboxEvent
from tests.fakes import NOW as FAKE_NOW
from tests.fakes import FakeInbox

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


class Unavailable(GatewayError):
    status = 503


def test_a_refusal_is_a_message_with_the_gateways_detail() -> None:
    assert _problem(Conflict("resolved already")) == (409, "resolved already", "inbound.refused")
    assert _problem(NotFound("gone")) == (404, "gone", "inbound.not_found")
    assert _problem(InvalidInput("bad")) == (422, "bad", "inbound.refused")


def test_an_unreachable_side_is_a_502_message_never_a_500() -> None:
    assert _problem(Unavailable("casavi down")) == (502, "casavi down", "inbound.unreachable")
    # A driver's own error (iX-Haus unreachable) shows no detail: it may name hosts.
    assert _problem(ConnectionRefusedError("10.0.0.1:1433")) == (
        502,
        None,
        "inbound.unreachable",
    )


def test_the_inbound_lag_is_none_seconds_or_minutes() -> None:
    assert inbound_lag(None, NOW) is None
    assert inbound_lag(NOW - dt.timedelta(seconds=42), NOW) == ("overview.lag_seconds", 42)
    assert inbound_lag(NOW - dt.timedelta(minutes=7, seconds=5), NOW) == (
        "overview.lag_minutes",
        7,
    )
    assert inbound_lag(NOW + dt.timedelta(seconds=3), NOW) == ("overview.lag_seconds", 0)


async def test_the_fake_inbox_backlog_matches_the_port() -> None:
    inbox = FakeInbox()
    assert await inbox.backlog("test") == (0, None)

    events = [
        NewInboxEvent(
            external_id=name,
            event_type="ticket.updated",
            ticket_ref=f"cv-{name}",
            occurred_at=FAKE_NOW,
            payload={},
        )
        for name in ("a", "b")
    ]
    await inbox.add("test", events)
    await inbox.park([1], "unknown reporter", FAKE_NOW)
    assert await inbox.backlog("test") == (1, FAKE_NOW)
    assert await inbox.backlog("production") == (0, None)
