"""Persons without an own contract: partners (P5), owners (M1), caretakers (M2), prospects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from app.sandbox.ixhaus.context import Context, Row
from app.sandbox.ixhaus.master_data import NON_MANAGED_HOLDER, _address, _people, person_no
from app.sandbox.ixhaus.profiles import object_number


@dataclass(frozen=True)
class Layout:
    """Index ranges of the person table after the contract holders."""

    partners: range
    owners: range
    caretakers: range
    prospects: range


def layout(ctx: Context) -> Layout:
    spec = ctx.spec
    first = spec.contracts
    rest = spec.persons - first - 3 * spec.objects
    if rest < 2:
        raise ValueError("profile has too few persons for partners and prospects")
    n_partners = int(rest * 0.7)
    p_end = first + n_partners
    o_end = p_end + 2 * spec.objects
    c_end = o_end + spec.objects
    return Layout(
        range(first, p_end), range(p_end, o_end), range(o_end, c_end), range(c_end, spec.persons)
    )


def _holder_for(ctx: Context, j: int) -> int:
    if j == 0:
        return NON_MANAGED_HOLDER  # not partner-managed: its partner inherits nothing
    span = min(ctx.spec.contracts, ctx.spec.units) // 5 * 5
    return (j * 5) % span  # multiples of five are partner-managed holders


# C5: the person type table - every type of the sandbox, including "GEWERBE" (a type not
# enabled) and "VERWALTER" (a type no person has yet).
PERSON_TYPES = (
    ("MIETER", "Mieter"),
    ("EIGENTUEMER", "Eigentümer"),
    ("HAUSMEISTER", "Hausmeister"),
    ("INTERESSENT", "Interessent"),
    ("GEWERBE", "Gewerbemieter"),
    ("VERWALTER", "Verwalter"),
)


def person_types(ctx: Context) -> Iterator[Row]:
    for number, name in PERSON_TYPES:
        yield {"type_no": number, "name": name}


def other_persons(ctx: Context) -> Iterator[Row]:
    lay = layout(ctx)
    kinds = (
        (lay.partners, "MIETER"),
        (lay.owners, "EIGENTUEMER"),
        (lay.caretakers, "HAUSMEISTER"),
        (lay.prospects, "INTERESSENT"),
    )
    for indices, person_type in kinds:
        for i in indices:
            yield {
                "person_no": person_no(i),
                "person_type": person_type,
                # Seeded per person so the owner/caretaker rows repeat the same name.
                **_people(ctx, ctx.rnd(f"person:{i}")),
                "anonymised": False,
                "partner_managed": person_type == "MIETER",
            }


def partner_relations(ctx: Context) -> Iterator[Row]:
    for j, i in enumerate(layout(ctx).partners):
        yield {
            "person_no": person_no(_holder_for(ctx, j)),
            "partner_no": person_no(i),
            "kind": "co_resident" if j % 2 == 0 else "contract_partner",
        }


def _contacts(ctx: Context, indices: range, per_object: int, table: str) -> Iterator[Row]:
    rnd = ctx.rnd(table)
    for n, i in enumerate(indices):
        yield {
            "person_no": person_no(i),
            "object_no": object_number(n // per_object),
            **_people(ctx, ctx.rnd(f"person:{i}")),
            **_address(ctx, rnd),
        }


def owners(ctx: Context) -> Iterator[Row]:
    return _contacts(ctx, layout(ctx).owners, 2, "owners")


def caretakers(ctx: Context) -> Iterator[Row]:
    return _contacts(ctx, layout(ctx).caretakers, 1, "caretakers")
