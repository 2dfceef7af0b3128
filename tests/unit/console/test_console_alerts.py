"""The overview's alerts section (app/console/templates/_alerts.html): open incidents in the
reader's language with how they were told, or that there are none."""

from __future__ import annotations

import datetime as dt

from app.alerts.overview import LABELS, AlertsView, IncidentView, NotificationView
from app.console.web import environment

WHEN = dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)


def _render(view: AlertsView, language: str) -> str:
    return environment(language).get_template("_alerts.html").render(view=view)


def test_open_incidents_show_with_how_they_were_told() -> None:
    incident = IncidentView(
        id=3,
        event="inbound_lag",
        subject="",
        title="Eingang verzögert",
        description="Das älteste unverarbeitete Ereignis wartet seit 20 Minuten.",
        opened_at=WHEN,
        resolved_at=None,
        notifications=[
            NotificationView(
                channel="email", phase="opened", status="sent", attempts=1, sent_at=WHEN,
                last_error=None,
            )
        ],
    )  # fmt: skip
    html = _render(AlertsView(system="test", open=[incident], recent=[], labels=LABELS["de"]), "de")
    assert 'id="alerts-test"' in html
    assert "Eingang verzögert" in html
    assert "email: gemeldet" in html


def test_no_open_incident_says_so() -> None:
    html = _render(AlertsView(system="production", open=[], recent=[], labels=LABELS["en"]), "en")
    assert "No open incidents." in html
