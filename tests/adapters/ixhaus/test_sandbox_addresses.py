"""The sandbox generator puts every unit in its property's postcode and city, at one of the
property's building entrances, deterministically by seed."""

from __future__ import annotations

from datetime import date

import pytest

from app.sandbox.ixhaus import master_data as md
from app.sandbox.ixhaus.context import Context
from app.sandbox.ixhaus.profiles import PROFILES

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("profile", ["small", "medium"])
def test_units_lie_in_their_propertys_city(profile: str) -> None:
    # rule M5: a unit's address is part of its property.
    ctx = Context(PROFILES[profile], 7, TODAY)
    homes = {o["object_no"]: o for o in md.objects(ctx)}
    streets: dict[object, set[object]] = {}
    for unit in md.units(ctx):
        home = homes[unit["object_no"]]
        assert (unit["postcode"], unit["city"]) == (home["postcode"], home["city"])
        name = str(home["street"]).rpartition(" ")[0]
        assert str(unit["street"]).rpartition(" ")[0] == name
        streets.setdefault(unit["object_no"], set()).add(unit["street"])
    # Units share entrances: a property has more than one address, each with several units.
    per_object = PROFILES[profile].units_per_object
    expected = -(-per_object // md.UNITS_PER_ENTRANCE)
    assert {len(s) for s in streets.values()} == {expected}
    first = next(iter(homes.values()))
    assert first["street"] in streets[first["object_no"]]


def test_unit_addresses_are_deterministic() -> None:
    def snapshot(seed: int) -> list[tuple[object, ...]]:
        ctx = Context(PROFILES["small"], seed, TODAY)
        return [(u["unit_no"], u["street"], u["postcode"], u["city"]) for u in md.units(ctx)]

    assert snapshot(3) == snapshot(3)
    assert snapshot(3) != snapshot(4)


def test_entrance_streets() -> None:
    assert md.entrance_street("Lindenstraße 12", 0) == "Lindenstraße 12"
    assert md.entrance_street("Lindenstraße 12", 2) == "Lindenstraße 16"
    assert md.entrance_street("Am Markt", 1) == "Am Markt (2)"
