"""The ``number`` items of the bulk portal status are checked in one go (rule S1)."""

from __future__ import annotations

import pytest

from app.api.portal_status import _well_formed


@pytest.mark.parametrize(
    ("numbers", "ok"),
    [
        (["1"], True),
        (["1", "22", "123456789012345678"], True),
        ([], True),  # "none given" is the handler's own 422
        ([""], False),
        (["1", ""], False),
        (["1234567890123456789"], False),  # 19 digits
        (["1a"], False),
        (["1\x002"], False),  # a NUL inside an item is not a separator
        (["1,2"], False),
        (["٣"], False),  # digits of other scripts are not ticket numbers
    ],
)
def test_number_items_are_1_to_18_ascii_digits(numbers: list[str], ok: bool) -> None:
    assert _well_formed(numbers) is ok
