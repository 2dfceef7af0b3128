"""Messages from the API and the domain in the operator's language (issue 19 item 2)."""

from __future__ import annotations

from app.console.i18n import texts
from app.console.messages import reason_text, translate
from app.domain.reasons import Reason

DE = texts("de")
EN = texts("en")


def test_service_messages_are_translated_with_their_fields() -> None:
    message = "must be between 1 and 1440"
    assert translate(DE, message) == "muss zwischen 1 und 1440 liegen"
    assert translate(EN, message) == message
    assert translate(DE, "authenticated with casavi") == "bei casavi angemeldet"
    assert translate(DE, "3 record(s) failed; see the run's protocol") == (
        "3 Datensatz/Datensätze fehlgeschlagen; siehe das Protokoll des Laufs unten"
    )


def test_field_names_inside_a_message_become_their_labels() -> None:
    message = "the interface cannot be active without casavi.baseUrl, casaviApiKey"
    assert translate(DE, message) == (
        "die Schnittstelle kann ohne casavi-Adresse (C2), casavi-API-Schlüssel nicht aktiv sein"
    )


def test_a_message_nobody_translated_is_marked_as_english() -> None:
    shown = translate(DE, "something <new>")
    assert shown == '<span class="untranslated" lang="en">something &lt;new&gt;</span>'
    assert translate(EN, "something <new>") == "something &lt;new&gt;"


def test_reason_texts_come_through_the_catalogue() -> None:
    assert reason_text(DE, "ticket_not_open").startswith("Meldung ist abgeschlossen")
    assert reason_text(EN, Reason.TICKET_NOT_OPEN).startswith("The ticket is closed")
    assert reason_text(DE, "from_a_later_release") == "from_a_later_release"
    # rule S1: a ticket casavi did not take (not a rule's reason, still in German)
    assert reason_text(DE, "send_failed").startswith("Die Übertragung an das Serviceportal")
    assert reason_text(EN, "send_failed").startswith("Sending to casavi failed")
    assert translate(DE, "The ticket type is unknown.") == "Meldungsart ist unbekannt."


def test_every_expected_form_of_the_configuration_has_its_sentence() -> None:
    # configuration.shape says "must be <expected>" for a value that breaks its pattern;
    # each such sentence is in the catalogue, so no pattern is ever shown (issue 19 item 3).
    import msgspec.inspect as mi

    from app.configuration.document import ConfigInput

    expected: set[str] = set()

    def walk(info: object) -> None:
        if isinstance(info, mi.Metadata):
            if info.extra and "expected" in info.extra:
                expected.add(info.extra["expected"])
            walk(info.type)
        elif isinstance(info, mi.StructType):
            for field in info.fields:
                walk(field.type)
        elif isinstance(info, mi.UnionType):
            for option in info.types:
                walk(option)
        elif isinstance(info, mi.ListType | mi.DictType):
            walk(getattr(info, "item_type", None) or info.value_type)  # type: ignore[union-attr]
            if isinstance(info, mi.DictType):
                walk(info.key_type)

    walk(mi.type_info(ConfigInput))
    assert len(expected) >= 8
    for text in expected:
        shown = translate(DE, f"must be {text}")
        assert "untranslated" not in shown, text
        assert shown.startswith(("muss", "darf")), text
