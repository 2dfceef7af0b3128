"""Objects, units, users, teams, rights, persons, contracts, partners, owners, caretakers.

Persons ``100001..`` are contract holders (holder k has contract k); further persons are
partners (P5), owners, caretakers and prospects. The first contracts are fixed edges of the
person rules (P1-P4, C10, C15); the rest follow a seeded distribution.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from app.sandbox.ixhaus.context import Context, Row
from app.sandbox.ixhaus.pools import OBJECT_GROUPS, german_iban, mail_address, phone_number
from app.sandbox.ixhaus.profiles import DISABLED_TEAM, ENABLED_TEAMS, TICKET_USER_NO, object_number

ROOMS = ("1-Zimmer-Apartment", "2-Zimmer-Wohnung", "3-Zimmer-Wohnung", "4-Zimmer-Wohnung")
FLOORS = ("EG", "1. OG", "2. OG", "3. OG", "4. OG", "DG")
UNITS_PER_ENTRANCE = 6  # units share a building entrance (a casavi property address)
TEAM_NAMES = ("Team Nord", "Team Süd", "Team Gewerbe", "Team Sonderverwaltung")


@dataclass(frozen=True)
class ContractEdge:
    name: str
    start_offset: int  # days relative to today (negative = past)
    move_out_ago: int | None = None
    person_type: str = "MIETER"
    anonymised: bool = False


# rules P1-P4, C10, C15 (deletion_days=90, portal_lead_days=14 in the sandbox config)
CONTRACT_EDGES = (
    ContractEdge("active_tenant", -400),
    ContractEdge("moved_out_inside_window", -900, 30),
    ContractEdge("moved_out_deletion_day", -900, 90),
    ContractEdge("moved_out_day_before_deletion", -900, 89),
    ContractEdge("moved_out_outside_window", -900, 200),
    ContractEdge("anonymised_inside_window", -900, 10, anonymised=True),
    ContractEdge("anonymised_outside_window", -900, 300, anonymised=True),
    ContractEdge("disabled_person_type", -300, person_type="GEWERBE"),
    ContractEdge("start_exactly_at_lead_time", 14),
    ContractEdge("start_one_day_after_lead_time", 15),
    ContractEdge("start_far_in_future", 60),
    ContractEdge("start_inside_lead_time", 7),
)
NON_MANAGED_HOLDER = 12  # holder whose partner must NOT inherit (P5 negative edge)


def person_no(index: int) -> str:
    return str(100001 + index)


def _people(ctx: Context, rnd: random.Random) -> Row:
    female = rnd.random() < 0.5
    p = ctx.pools
    first = rnd.choice(p.female_names if female else p.male_names)
    last = rnd.choice(p.last_names)
    return {
        "salutation": "Frau" if female else "Herr",
        "first_name": first,
        "last_name": last,
        "email": mail_address(first, last, rnd) if rnd.random() < 0.85 else None,
        "phone": phone_number(rnd) if rnd.random() < 0.8 else None,
        "iban": german_iban(rnd.choice(p.bank_codes), rnd.randint(1, 9_999_999_999)),
        "bic": None,
        "account_holder": f"{first} {last}",
    }


def _address(ctx: Context, rnd: random.Random) -> Row:
    postcode, city = rnd.choice(ctx.pools.places)
    street = f"{rnd.choice(ctx.pools.streets)} {rnd.randint(1, 180)}"
    return {"street": street, "postcode": postcode, "city": city}


def objects(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("objects")
    for i in range(ctx.spec.objects):
        addr = _address(ctx, rnd)
        yield {
            "object_no": object_number(i),
            "name": f"Wohnanlage {addr['street']}",
            "object_group": rnd.choice(OBJECT_GROUPS),
            "management_start": ctx.days_ago(rnd.randint(400, 9000)),
            **addr,
        }


def entrance_street(street: str, entrance: int) -> str:
    """The street of a building entrance: the property's own first, then the neighbouring
    house numbers on the same side of the street."""
    name, _, number = street.rpartition(" ")
    if entrance == 0:
        return street
    if name and number.isdigit():
        return f"{name} {int(number) + 2 * entrance}"
    return f"{street} ({entrance + 1})"


def units(ctx: Context) -> Iterator[Row]:
    """Units lie in their property's postcode and city, at one of its entrances."""
    rnd = ctx.rnd("units")
    upo = ctx.spec.units_per_object
    homes = [(o["street"], o["postcode"], o["city"]) for o in objects(ctx)]
    for i in range(ctx.spec.units):
        street, postcode, city = homes[i // upo]
        addr = {
            "street": entrance_street(str(street), i % upo // UNITS_PER_ENTRANCE),
            "postcode": postcode,
            "city": city,
        }
        yield {
            "object_no": object_number(i // upo),
            "unit_no": f"{i % upo + 1:03d}",
            "description": f"{rnd.choice(ROOMS)}, {rnd.choice(FLOORS)}",
            **addr,
            "start_date": ctx.days_ago(rnd.randint(3000, 12000)),
            "end_date": None,
        }


def users(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("users")
    for i in range(ctx.spec.users):
        person = _people(ctx, rnd)
        yield {
            "user_no": f"{i + 1:03d}",
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "email": f"user{i + 1:03d}@hausverwaltung.example",
            "phone": phone_number(rnd),
            "active": i != ctx.spec.users - 1,  # the last user is inactive (M3)
            "plus_rights": True,
        }
    yield {
        "user_no": TICKET_USER_NO,
        "first_name": "Serviceportal",
        "last_name": "casavi",
        "email": "serviceportal@hausverwaltung.example",
        "phone": None,
        "active": True,
        "plus_rights": True,
    }


def teams(ctx: Context) -> Iterator[Row]:
    for number, name in zip((*ENABLED_TEAMS, DISABLED_TEAM), TEAM_NAMES, strict=True):
        yield {"team_no": number, "name": name}


def team_members(ctx: Context) -> Iterator[Row]:
    teams_ = (*ENABLED_TEAMS, DISABLED_TEAM)
    for i in range(ctx.spec.users):
        yield {"team_no": teams_[i % len(teams_)], "user_no": f"{i + 1:03d}"}


def object_rights(ctx: Context) -> Iterator[Row]:
    n = ctx.spec.users
    for i in range(ctx.spec.objects):
        for k, kind in ((0, "write"), (1, "read"), (2, "read")):
            yield {
                "object_no": object_number(i),
                "user_no": f"{(i + k) % n + 1:03d}",
                "right_kind": kind,
            }


def object_responsibles(ctx: Context) -> Iterator[Row]:
    for i in range(ctx.spec.objects):
        user = f"{i % ctx.spec.users + 1:03d}"
        yield {"object_no": object_number(i), "user_no": user, "role": "Objektbetreuer"}


def _current_contract(k: int, rnd: random.Random) -> ContractEdge:
    if k < len(CONTRACT_EDGES):
        return CONTRACT_EDGES[k]
    r = rnd.random()
    gewerbe = "GEWERBE" if rnd.random() < 0.05 else "MIETER"
    if r < 0.04:
        return ContractEdge(
            "", -rnd.randint(400, 4000), rnd.randint(0, 89), gewerbe, rnd.random() < 0.3
        )
    if r < 0.10:
        return ContractEdge(
            "", -rnd.randint(400, 4000), rnd.randint(90, 1500), gewerbe, rnd.random() < 0.3
        )
    if r < 0.13:
        return ContractEdge("", rnd.randint(0, 14), None, gewerbe)
    if r < 0.15:
        return ContractEdge("", rnd.randint(15, 90), None, gewerbe)
    return ContractEdge("", -rnd.randint(30, 6000), None, gewerbe)


def contracts_and_holders(ctx: Context) -> tuple[list[Row], list[Row]]:
    """Contracts plus their holders (persons ``0..contracts-1``), generated together."""
    rnd, prnd = ctx.rnd("contracts"), ctx.rnd("holders")
    spec, upo = ctx.spec, ctx.spec.units_per_object
    contracts: list[Row] = []
    holders: list[Row] = []
    current_start: list[date] = []
    for k in range(spec.contracts):
        u = k % spec.units
        if k < spec.units:
            edge = _current_contract(k, rnd)
            start = ctx.today + timedelta(days=edge.start_offset)
            current_start.append(start)
        else:  # an earlier tenant of the same unit, moved out before the current one
            out = current_start[u] - timedelta(days=1)
            start = out - timedelta(days=rnd.randint(365, 3000))
            ago = (ctx.today - out).days
            edge = ContractEdge("", 0, max(ago, 0), "MIETER", rnd.random() < 0.4)
        move_out = None if edge.move_out_ago is None else ctx.days_ago(edge.move_out_ago)
        if move_out is not None and k < spec.units:
            start = min(start, move_out - timedelta(days=30))
        ctx.contract_objects.append(u // upo)
        contracts.append(
            {
                "contract_no": f"V{k + 1:06d}",
                "object_no": object_number(u // upo),
                "unit_no": f"{u % upo + 1:03d}",
                "person_no": person_no(k),
                "rent_cents": rnd.randint(350, 2400) * 100,
                "deposit_cents": rnd.randint(700, 4800) * 100,
                "start_date": start,
                "end_date": move_out,
                "move_out_date": move_out,
            }
        )
        holder = _people(ctx, prnd)
        if edge.anonymised:
            holder = dict.fromkeys(holder)
        holders.append(
            {
                "person_no": person_no(k),
                "person_type": edge.person_type,
                **holder,
                "anonymised": edge.anonymised,
                # P5: every fifth holder is kept in the partner management.
                "partner_managed": k % 5 == 0,
            }
        )
    return contracts, holders
