"""RecordKey: one codec to ledger rows and casavi reference ids."""

from __future__ import annotations

import pytest

from app.domain.keys import EntityKind, InvalidKey, RecordKey


def test_kinds_sharing_a_casavi_collection_get_distinct_reference_ids() -> None:
    # rule M1, rule M2: owners/caretakers are contacts beside the tenants (same numbers)
    assert RecordKey.person("200001").reference_id == "200001"
    assert RecordKey.of(EntityKind.OWNER, "200001").reference_id == "owner.200001"
    assert RecordKey.of(EntityKind.CARETAKER, "200001").reference_id == "caretaker.200001"
    # rule T8: a commissioning note is a ticket message beside the notes
    assert RecordKey.of(EntityKind.WORK_ORDER_NOTE, 7).reference_id == "work-order.7"
    owner = RecordKey.of(EntityKind.OWNER, "200001")
    assert RecordKey.parse(owner.ledger_key) == owner


def test_object_roles_are_slugged_ixhaus_labels() -> None:
    # rule M4: a responsibility's free-text role becomes a stable, id-safe key
    role = RecordKey.object_role("responsible", "Objekt/Betreuer: Technik")
    assert role.parts == ("responsible", "Objekt-Betreuer-Technik")
    assert role.reference_id == "responsible.Objekt-Betreuer-Technik"
    assert RecordKey.object_role("right", "  ").parts == ("right", "default")
    assert RecordKey.parse(role.ledger_key) == role


def test_a_ticket_key_gives_its_number_as_a_number() -> None:
    # The key keeps the number as text; flows and ports take it as a number (TicketNumber).
    assert RecordKey.ticket(42).ticket_number == 42
    assert RecordKey.parse("ticket:42").ticket_number == 42
    with pytest.raises(InvalidKey):
        _ = RecordKey.of(EntityKind.OBJECT, "42").ticket_number
