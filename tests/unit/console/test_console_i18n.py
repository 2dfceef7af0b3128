"""Every string a console template asks for exists in German and English."""

from __future__ import annotations

import re

from app.console.forms import FIELDS, POLICIES, SECRETS, SECTIONS
from app.console.i18n import FIELD_LABELS, TEXT, service_message, translator
from app.console.web import NAV, TEMPLATES

# A whole key in quotes, closed right away (``t("check." ~ part)`` is composed: see below).
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.]*[A-Za-z0-9_])["']\s*[,)]""")


def test_every_literal_key_in_the_templates_is_translated() -> None:
    used = {
        key
        for template in TEMPLATES.glob("*.html")
        for key in _LITERAL_KEY.findall(template.read_text(encoding="utf-8"))
    }
    assert used
    missing = sorted(key for key in used if key not in TEXT and key not in FIELD_LABELS)
    assert missing == []


def test_every_composed_key_is_translated() -> None:
    composed = (
        [key for key, _ in NAV]
        + [f.name for f in FIELDS]
        + [f"settings.section.{s}" for s in SECTIONS]
        + [f"policy.{p}" for p in POLICIES]
        + [f"secrets.{name}" for name in SECRETS]
        + [f"status.{s}" for s in ("queued", "running", "succeeded", "failed")]
        + [f"outcome.{o}" for o in ("sent", "deleted", "excluded", "error")]
        + [f"check.{s}" for s in ("ok", "failed", "not_configured", "casavi", "docuware")]
        + ["check.ixhaus", "secret.value", "secret.confirmation", "lang.de", "lang.en"]
        + ["keys.scope.ixhaus", "keys.scope.admin", "system.production", "system.test"]
    )
    for language in ("de", "en"):
        t = translator(language)
        for key in composed:
            assert t(key)


def test_both_languages_are_complete_and_german_comes_first() -> None:
    for key, (german, english) in {**TEXT, **FIELD_LABELS}.items():
        assert german
        assert english, key
    assert translator("de")("nav.overview") == "Übersicht"
    assert translator("en")("nav.overview") == "Overview"


def test_common_service_messages_are_shown_in_german() -> None:
    message = "must be between 1 and 1440 minutes"
    assert service_message("de", message) == "muss zwischen 1 und 1440 Minuten liegen"
    assert service_message("en", message) == message
    assert service_message("de", "something new") == "something new"


def test_a_run_status_from_a_later_release_shows_as_stored() -> None:
    assert translator("de")("status.partial") == "teilweise erfolgreich"
    assert translator("de")("status.cancelled") == "cancelled"
