"""What an alert says, in German or English: a subject line and a few plain lines.

Only facts the gateway itself produced go in: the system, the event, counts, a run's number,
thresholds, a casavi operation's name, the names (never the values) of changed settings, and
times. Never a record's content, a person, an error text from another system, or a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.alerts.events import Event

ZONE = ZoneInfo("Europe/Berlin")
SYSTEM = {"de": {"production": "Produktiv", "test": "Test"}, "en": {}}

# event -> language -> (title, what happened, what it means / what to do)
TEXT: dict[Event, dict[str, tuple[str, str]]] = {
    Event.RUN_FAILED: {
        "de": ("Sync-Lauf fehlgeschlagen", "Lauf {run} ist fehlgeschlagen ({errors} Fehler)."),
        "en": ("Sync run failed", "Run {run} failed ({errors} errors)."),
    },
    Event.BREAKER_TRIPPED: {
        "de": (
            "casavi antwortet nicht: Lauf abgebrochen",
            "Lauf {run} wurde nach mehreren Fehlversuchen in Folge gestoppt; der nächste "
            "Lauf setzt fort.",
        ),
        "en": (
            "casavi is not answering: run stopped",
            "Run {run} stopped after several failed calls in a row; the next run continues.",
        ),
    },
    Event.INBOUND_PARKED: {
        "de": ("Eingehende Ereignisse geparkt", "{parked} Ereignis(se) aus casavi sind geparkt."),
        "en": ("Inbound events parked", "{parked} event(s) from casavi are parked."),
    },
    Event.INBOUND_PARKED_MANY: {
        "de": (
            "Viele eingehende Ereignisse geparkt",
            "{parked} Ereignisse aus casavi sind geparkt (Schwelle {threshold}).",
        ),
        "en": (
            "Many inbound events parked",
            "{parked} events from casavi are parked (threshold {threshold}).",
        ),
    },
    Event.INBOUND_LAG: {
        "de": (
            "Eingang verzögert",
            "Das älteste unverarbeitete Ereignis wartet seit {minutes} Minuten "
            "(Schwelle {threshold} Minuten).",
        ),
        "en": (
            "Inbound lagging",
            "The oldest unprocessed event has waited {minutes} minutes "
            "(threshold {threshold} minutes).",
        ),
    },
    Event.DOCUWARE_LICENCE: {
        "de": (
            "DocuWare-Lizenzen erschöpft",
            "DocuWare hat keine freie Lizenz für die Anmeldung des Gateways.",
        ),
        "en": ("DocuWare licences exhausted", "DocuWare has no free licence for the gateway."),
    },
    Event.CASAVI_CONTRACT: {
        "de": (
            "casavi weicht vom Vertrag ab",
            "casavi hat bei {subject} anders geantwortet als vereinbart (openapi/casavi.yaml).",
        ),
        "en": (
            "casavi deviates from the contract",
            "casavi answered {subject} outside the contract (openapi/casavi.yaml).",
        ),
    },
    Event.CONFIG_CHANGED: {
        "de": (
            "Konfiguration eines aktiven Systems geändert",
            "Geänderte Einstellungen: {fields}.",
        ),
        "en": ("Configuration of an active system changed", "Settings changed: {fields}."),
    },
}
PHASE = {
    "de": {"opened": "", "resolved": "Behoben: ", "notice": ""},
    "en": {"opened": "", "resolved": "Resolved: ", "notice": ""},
}
LINES = {
    "de": ("System: {system}", "Seit: {since}", "Behoben: {at}", "Vorfall {id}"),
    "en": ("System: {system}", "Since: {since}", "Resolved: {at}", "Incident {id}"),
}


@dataclass(frozen=True)
class Message:
    subject: str
    lines: tuple[str, ...]
    facts: dict[str, Any]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _when(at: datetime) -> str:
    return at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M %Z")


def describe(event: Event, language: str, facts: dict[str, Any], subject: str) -> str:
    values = {"run": "?", "errors": 0, "parked": 0, "threshold": "?", "minutes": "?"}
    values.update(facts)
    values["subject"] = subject
    values["fields"] = ", ".join(facts.get("fields", [])) or "-"
    return TEXT[event][language][1].format(**values)


def title(event: Event, language: str) -> str:
    return TEXT[event][language][0]


def render(
    *,
    incident_id: int,
    system: str,
    event: Event,
    subject: str,
    phase: str,
    facts: dict[str, Any],
    opened_at: datetime,
    resolved_at: datetime | None,
    language: str,
) -> Message:
    system_name = SYSTEM[language].get(system, system)
    head = f"[portal-gateway {system_name}] {PHASE[language][phase]}{title(event, language)}"
    system_line, since, resolved, number = LINES[language]
    lines = [describe(event, language, facts, subject), system_line.format(system=system_name)]
    lines.append(since.format(since=_when(opened_at)))
    if phase == "resolved" and resolved_at is not None:
        lines.append(resolved.format(at=_when(resolved_at)))
    lines.append(number.format(id=incident_id))
    return Message(
        subject=head,
        lines=tuple(lines),
        facts={
            "incident": incident_id,
            "system": system,
            "event": event.value,
            "subject": subject or None,
            "phase": phase,
            "openedAt": opened_at.isoformat(),
            "resolvedAt": resolved_at.isoformat() if resolved_at else None,
            "details": facts,
        },
    )
