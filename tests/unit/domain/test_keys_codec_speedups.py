"""The fast paths of the key codec give what the plain definitions give, for every kind."""

from __future__ import annotations

import pytest

from app.domain.keys import EntityKind, RecordKey, reference_of_ledger_key


@pytest.mark.parametrize("kind", list(EntityKind))
def test_ledger_key_and_reference_for_every_kind(kind: EntityKind) -> None:
    key = RecordKey(kind, ("10", "2") if kind is EntityKind.UNIT else ("7",))
    assert key.ledger_key == f"{kind.value}:{'/'.join(key.parts)}"
    assert type(key.ledger_key) is str
    assert reference_of_ledger_key(kind, key.ledger_key) == key.reference_id
    assert reference_of_ledger_key(kind.value, key.ledger_key) == key.reference_id
    assert RecordKey.parse(key.ledger_key) == key
