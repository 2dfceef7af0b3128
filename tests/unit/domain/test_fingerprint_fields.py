"""Field digests: the ledger's record of what was sent, field by field, without values."""

from __future__ import annotations

import msgspec

from app.domain.fingerprint import changed_fields, field_digests


class _Unit(msgspec.Struct, frozen=True):
    name: str
    area: float | None
    tenants: list[str]


def test_field_digests_name_the_changed_fields_only() -> None:
    before = field_digests(_Unit("Whg 1", 54.5, ["p1"]))
    assert changed_fields(before, field_digests(_Unit("Whg 1", 54.5, ["p1"]))) == []
    after = field_digests(_Unit("Whg 1a", 54.5, ["p1", "p2"]))
    assert changed_fields(before, after) == ["name", "tenants"]
    # No value is kept: only 8-hex digests.
    assert "Whg" not in before
    assert all(len(v) == 8 for v in msgspec.json.decode(before).values())


def test_no_digests_recorded_means_unknown_fields() -> None:
    assert changed_fields(None, field_digests(_Unit("x", None, []))) is None
