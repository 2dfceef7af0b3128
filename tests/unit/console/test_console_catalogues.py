"""Issue 19 item 2: every string of the console comes from gettext catalogues (Babel).

The messages Babel extracts from the templates and the code are exactly those of the
catalogues, each translated into German; the committed ``.mo`` files are the ``.po`` files
compiled; the reason texts of the domain have the same German in the catalogue as in
``app/domain/reasons.py``; every stored value the console shows has a label."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.console.i18n import LOCALE_DIR, texts
from app.console.labels import LABELS
from app.console.routes_inbound import EVENT_STATES
from app.domain.keys import EntityKind
from app.domain.reasons import REASON_TEXTS

ROOT = Path(__file__).resolve().parents[3]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "C_": ((1, "c"), 2),
    "ReasonText": (2,),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _po(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "console.po").open("rb") as handle:
        return read_po(handle)


def _extracted() -> set[tuple[str | None, str]]:
    with (ROOT / "app" / "console" / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_every_extracted_message_is_in_the_catalogues_in_german_and_nothing_else() -> None:
    extracted = _extracted()
    assert len(extracted) > 300
    german = _po("de")
    catalogued = {(m.context, str(m.id)) for m in german if m.id}
    assert sorted(extracted - catalogued, key=str) == []  # run the update command
    assert sorted(catalogued - extracted, key=str) == []  # obsolete entries
    untranslated = [m.id for m in german if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    english = {(m.context, str(m.id)) for m in _po("en") if m.id}
    assert english == catalogued


def test_translations_keep_the_placeholders_of_their_source() -> None:
    for message in _po("de"):
        if message.id:
            assert set(PLACEHOLDER.findall(str(message.string))) == set(
                PLACEHOLDER.findall(str(message.id))
            ), message.id


def test_the_committed_mo_files_are_the_po_files_compiled() -> None:
    for language in ("de", "en"):
        compiled = io.BytesIO()
        write_mo(compiled, _po(language))
        committed = (LOCALE_DIR / language / "LC_MESSAGES" / "console.mo").read_bytes()
        assert compiled.getvalue() == committed, f"{language}: run pybabel compile"


def test_reason_texts_have_the_domains_german_in_the_catalogue() -> None:
    german = texts("de")
    for entry in REASON_TEXTS.values():
        assert german.gettext(entry.en) == entry.de
        assert texts("en").gettext(entry.en) == entry.en


def test_every_value_the_console_shows_has_a_label_in_both_languages() -> None:
    groups = {
        "entity": [kind.value for kind in EntityKind],
        "run status": ["queued", "running", "succeeded", "partial", "failed"],
        "outcome": ["sent", "deleted", "excluded", "error"],
        "event state": list(EVENT_STATES),
        "system": ["production", "test"],
        "portal status": ["open", "closed"],
        "trigger": ["schedule", "api", "console", "cli", "demo"],
    }
    for group, values in groups.items():
        assert set(values) <= set(LABELS[group]), group
    assert texts("de").label("entity", "work_order_note") == "Auftragsnotiz"
    assert texts("en").label("entity", "work_order_note") == "work order note"
    assert texts("de").label("run status", "cancelled") == "cancelled"  # a later release's


def test_dates_and_numbers_follow_the_operators_locale() -> None:
    import datetime as dt

    moment = dt.datetime(2026, 12, 7, 8, 5, 9, tzinfo=dt.UTC)
    assert texts("de").when(moment) == "07.12.2026, 09:05:09"
    assert texts("en").when(moment) == "7 Dec 2026, 09:05:09"
    assert texts("de").num(12345) == "12.345"
    assert texts("en").num(12345) == "12,345"
