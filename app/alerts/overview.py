"""What the console's overview and ``GET /api/v1/systems/{system}/alerts`` show: the open
incidents, the latest ones, and how their notifications fared (in the reader's language)."""

from __future__ import annotations

import datetime as dt

import msgspec

from app.adapters.store.alerts import AlertIncident
from app.alerts.events import Event
from app.alerts.messages import describe, title
from app.alerts.monitor import AlertMonitor
from app.sync.services import Services

RECENT = 5
LABELS = {
    "de": {
        "heading": "Alarme",
        "none": "Keine offenen Vorfälle.",
        "since": "seit",
        "sent": "gemeldet",
        "pending": "wird gemeldet",
        "failed": "nicht zustellbar",
        "unsent": "kein Empfänger eingerichtet",
    },
    "en": {
        "heading": "Alerts",
        "none": "No open incidents.",
        "since": "since",
        "sent": "notified",
        "pending": "being notified",
        "failed": "could not be delivered",
        "unsent": "no recipient set up",
    },
}


class Struct(msgspec.Struct, rename="camel", kw_only=True):
    pass


class NotificationView(Struct):
    channel: str
    phase: str
    status: str
    attempts: int
    sent_at: dt.datetime | None
    last_error: str | None


class IncidentView(Struct):
    id: int
    event: str
    subject: str
    title: str
    description: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    notifications: list[NotificationView]


class AlertsView(Struct):
    system: str
    open: list[IncidentView]
    recent: list[IncidentView]
    labels: dict[str, str]


async def alerts_view(monitor: AlertMonitor, system: str, language: str = "en") -> AlertsView:
    language = language if language in LABELS else "en"
    notes = await monitor.store.notifications(system, 100)
    by_incident: dict[int, list[NotificationView]] = {}
    for n in notes:
        by_incident.setdefault(n.incident_id, []).append(
            NotificationView(
                channel=n.channel,
                phase=n.phase,
                status=n.status,
                attempts=n.attempts,
                sent_at=n.sent_at,
                last_error=n.last_error,
            )
        )

    def view(incident: AlertIncident) -> IncidentView:
        event = Event(incident.event)
        return IncidentView(
            id=incident.id,
            event=incident.event,
            subject=incident.subject,
            title=title(event, language),
            description=describe(event, language, incident.facts, incident.subject),
            opened_at=incident.opened_at,
            resolved_at=incident.resolved_at,
            notifications=by_incident.get(incident.id, []),
        )

    return AlertsView(
        system=system,
        open=[view(i) for i in await monitor.store.open_incidents(system)],
        recent=[view(i) for i in await monitor.store.recent(system, RECENT)],
        labels=LABELS[language],
    )


async def overview_alerts(services: Services, language: str) -> dict[str, AlertsView]:
    """Per system, for the console's overview (empty when alerts are not set up)."""
    if services.alerts is None:
        return {}
    return {s: await alerts_view(services.alerts, s, language) for s in ("production", "test")}
