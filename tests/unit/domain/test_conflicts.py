"""Conflict detection on two-way ticket fields (issue 11 item 8): base, both values, policy."""

from __future__ import annotations

import pytest

from app.domain.conflicts import decide_field, decide_ticket

BASE = "Heizung defekt"


def test_a_field_only_casavi_changed_is_applied_and_never_a_conflict() -> None:
    d = decide_field("subject", base=BASE, ixhaus=BASE, casavi="Heizung kalt", policy="manual")
    assert d.action == "apply_casavi"
    assert not d.conflict
    assert d.new_base == "Heizung kalt"


def test_a_field_only_ixhaus_changed_is_left_to_the_outbound_sync() -> None:
    d = decide_field("subject", base=BASE, ixhaus="Neu", casavi=BASE, policy="casavi_wins")
    assert d.action == "none"
    assert not d.conflict


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    d = decide_field("status", base="1", ixhaus="2", casavi="2", policy="manual")
    assert (d.action, d.conflict, d.new_base) == ("none", False, "2")


@pytest.mark.parametrize(
    ("policy", "action", "new_base", "resolution"),
    [
        ("ixhaus_wins", "keep_ixhaus", "A", "ixhaus"),
        ("casavi_wins", "apply_casavi", "B", "casavi"),
        ("manual", "await_operator", None, None),
    ],
)
def test_both_sides_changed_differently_is_a_conflict_decided_by_the_policy(
    policy: str, action: str, new_base: str | None, resolution: str | None
) -> None:
    d = decide_field("subject", base=BASE, ixhaus="A", casavi="B", policy=policy)  # type: ignore[arg-type]
    assert d.conflict
    assert (d.action, d.new_base, d.resolution) == (action, new_base, resolution)
    assert (d.base, d.ixhaus, d.casavi) == (BASE, "A", "B")


def test_iXhaus_wins_by_default_and_fields_without_a_base_use_ixhaus() -> None:
    decisions = decide_ticket(
        base={"subject": BASE},
        ixhaus={"subject": "A", "status": "1"},
        casavi={"subject": "B", "status": "2", "rating": "5"},
        policies={},
    )
    by_field = {d.field: d for d in decisions}
    assert set(by_field) == {"subject", "status"}  # rating is not a two-way field
    assert by_field["subject"].action == "keep_ixhaus"
    assert by_field["status"].action == "apply_casavi"  # no base: iX-Haus's value is the base
