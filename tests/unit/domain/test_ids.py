"""Issue 23 items 4 and 5: declared id patterns match whole texts; long ids are never cut."""

from __future__ import annotations

import re

import msgspec
import pytest

from app.domain.ids import (
    CASAVI_ID_PATTERN,
    ENTITY_KEY_PATTERN,
    CasaviId,
    EntityKeyText,
    stored_id,
)


@pytest.mark.parametrize("text", ["cv-1\n", "cv\x00", "a\r\nb", "\u2028", "", "x" * 101])
def test_a_casavi_id_with_control_characters_or_too_long_is_refused(text: str) -> None:
    # A trailing newline used to pass a `$`-anchored pattern in Python's re (and msgspec).
    assert re.search(CASAVI_ID_PATTERN, text) is None
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(text, CasaviId)


@pytest.mark.parametrize("text", ["cv-1a2b", "42", "dw.7f3c-11.9", "owner.100050", "x" * 100])
def test_ordinary_casavi_ids_pass(text: str) -> None:
    assert msgspec.convert(text, CasaviId) == text


@pytest.mark.parametrize("text", ["unit:1001/01", "ticket:42", "object_role:right/Verwalter 1"])
def test_entity_keys_as_the_protocol_shows_them_pass(text: str) -> None:
    assert re.search(ENTITY_KEY_PATTERN, text)
    assert msgspec.convert(text, EntityKeyText) == text


@pytest.mark.parametrize("text", ["unit", "unit:", ":1", "Unit:1", "ticket:4:2", "ticket:42\n"])
def test_malformed_entity_keys_are_refused(text: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(text, EntityKeyText)


def test_a_long_id_is_stored_as_its_head_and_a_digest_of_all_of_it() -> None:
    head = "evt_" + "x" * 200
    first, second = stored_id(head + "1", 128), stored_id(head + "2", 128)
    assert first != second
    assert len(first) == len(second) == 128
    assert first.startswith(head[:63])
    assert stored_id(head + "1", 128) == first  # the same id, the same stored form
    assert stored_id("evt_short", 128) == "evt_short"
