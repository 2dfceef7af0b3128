"""What casavi derives when it shows master data, and the list filters it honours.

A property lists its responsibilities - internal ones from staff assignments, external ones
for its caretakers (documented ``roleType: external``) - and, under each of its addresses,
the units there; a unit lists the contracts on it; ``GET /v2/contacts`` filters on
``isRegistered``, ``isInvited`` and ``role``. casavi's data model is property -> unit ->
contact (help centre): an OWNER contract naming a whole property is shown on every unit of
that property, on the unit and on the contact. All inferred except the shapes of
``addresses[].units`` and ``responsibilities`` (documented).
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.sandbox.casavi.common import AnyRequest, SimError, bool_param
from app.sandbox.casavi.state import Simulator
from app.sandbox.casavi.store import Record, Where

CONTRACT_TYPES = ("OWNER", "RENTER", "CARETAKER")
UNITS_OF_PROPERTY = "json_extract(data, '$.propertyId') = ?"
HAS_CONTRACT_OF_TYPE = (
    "EXISTS (SELECT 1 FROM json_each(records.data, '$.contracts') c "
    "WHERE json_extract(c.value, '$.type') = ?)"
)


CARETAKER_ROLE = "Hausmeister"
PROPERTY_WIDE_OWNERS = (
    "EXISTS (SELECT 1 FROM json_each(records.data, '$.contracts') c "
    "WHERE json_extract(c.value, '$.type') = 'OWNER' "
    "AND json_extract(c.value, '$.propertyId') = ? "
    "AND json_extract(c.value, '$.unitId') IS NULL)"
)
CARETAKERS_OF_PROPERTY = (
    "EXISTS (SELECT 1 FROM json_each(records.data, '$.contracts') c "
    "WHERE json_extract(c.value, '$.type') = 'CARETAKER' "
    "AND json_extract(c.value, '$.propertyId') = ?)"
)


def _name(record: Record) -> str:
    parts = (record.get("firstName"), record.get("lastName") or record.get("companyName"))
    return " ".join(p for p in parts if p)


def _external(sim: Simulator, record: Record) -> list[Record]:
    """Caretakers, as casavi documents external parties of a property (``roleType``)."""
    return [
        {
            "contactId": contact["id"],
            "contactInternalId": contact["internalId"],
            "contactName": _name(contact) or contact["id"],
            "roleName": CARETAKER_ROLE,
            "roleType": "external",
            "email": contact.get("email"),
            "telephone": contact.get("telephone"),
        }
        for contact in sim.store.find("contacts", (CARETAKERS_OF_PROPERTY, (record["id"],)))
    ]


def _responsibilities(sim: Simulator, record: Record) -> list[Record]:
    """casavi derives a property's internal responsibilities from staff assignments; its
    caretakers follow as external ones."""
    roles = {role["id"]: role for role in sim.store.all("staff-roles")}
    found = []
    for staff in sim.store.all("staff"):
        for assignment in staff.get("responsibilities", []):
            if assignment["propertyId"] != record["id"]:
                continue
            name = " ".join(p for p in (staff.get("firstName"), staff["lastName"]) if p)
            found.append(
                {
                    "contactId": staff["id"],
                    "contactInternalId": staff["internalId"],
                    "contactName": name,
                    "roleName": roles.get(assignment["roleId"], {}).get("name", "?"),
                    "roleType": "internal",
                    "email": staff.get("email"),
                    "telephone": staff.get("telephone"),
                }
            )
    return found + _external(sim, record)


def street_of(unit_address: str) -> str:
    """The street of a unit address such as ``"Lindenstraße 1, München"``."""
    return unit_address.split(",", 1)[0].strip()


def _addresses(sim: Simulator, record: Record) -> list[Record]:
    """The property's addresses, each listing the units there (a unit without an address
    of its own is listed under the property's first address)."""
    addresses: list[Record] = [
        {"street": a["street"], "units": list(a.get("units", []))}
        for a in record.get("addresses", [])
    ]
    by_street = {a["street"].casefold(): a for a in addresses}
    for unit in sim.store.find("units", (UNITS_OF_PROPERTY, (record["id"],))):
        if unit.get("address"):
            street = street_of(unit["address"])
            target = by_street.get(street.casefold())
            if target is None:
                target = by_street[street.casefold()] = {"street": street, "units": []}
                addresses.append(target)
        elif addresses:
            target = addresses[0]
        else:
            continue
        if unit["id"] not in target["units"]:
            target["units"].append(unit["id"])
    return addresses


def property_view(sim: Simulator, records: list[Record], _: AnyRequest) -> list[Record]:
    return [
        {
            **record,
            "responsibilities": _responsibilities(sim, record),
            "addresses": _addresses(sim, record),
        }
        for record in records
    ]


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _active(contract: Record, now: datetime) -> bool:
    start, end = _moment(contract.get("startDate")), _moment(contract.get("endDate"))
    return (start is None or start <= now) and (end is None or end >= now)


def unit_view(sim: Simulator, records: list[Record], request: AnyRequest) -> list[Record]:
    """Units with the contracts on them: current ones only, unless
    ``includeInactiveContracts=true`` (a parameter only the list declares)."""
    include_inactive = bool_param(request, "includeInactiveContracts") is True
    now = datetime.now(UTC)
    on_unit: dict[str, list[Record]] = {}
    bound = list(sim.store.contracts_on([r["id"] for r in records]))
    for property_id in dict.fromkeys(r["propertyId"] for r in records):
        for owner in sim.store.find("contacts", (PROPERTY_WIDE_OWNERS, (property_id,))):
            for contract in _whole_property(owner, property_id):
                bound.extend(
                    (owner["id"], {**contract, "unitId": r["id"]})
                    for r in records
                    if r["propertyId"] == property_id
                )
    for contact_id, contract in bound:
        if include_inactive or _active(contract, now):
            on_unit.setdefault(contract["unitId"], []).append(
                {
                    "contactId": contact_id,
                    "type": contract["type"],
                    "startDate": contract.get("startDate"),
                    "endDate": contract.get("endDate"),
                }
            )
    return [{**record, "contracts": on_unit.get(record["id"], [])} for record in records]


def _whole_property(contact: Record, property_id: str) -> list[Record]:
    return [
        c
        for c in contact.get("contracts", [])
        if c["type"] == "OWNER" and c["propertyId"] == property_id and c.get("unitId") is None
    ]


def contact_view(sim: Simulator, records: list[Record], _: AnyRequest) -> list[Record]:
    """Contacts; an OWNER contract naming a whole property is shown once per unit of it."""
    shown = []
    for record in records:
        contracts: list[Record] = []
        for contract in record.get("contracts", []):
            units = []
            if contract["type"] == "OWNER" and contract.get("unitId") is None:
                units = sim.store.find("units", (UNITS_OF_PROPERTY, (contract["propertyId"],)))
            if units:
                contracts.extend({**contract, "unitId": unit["id"]} for unit in units)
            else:
                contracts.append(contract)
        shown.append({**record, "contracts": contracts})
    return shown


def contact_filters(request: AnyRequest) -> tuple[Where, ...]:
    where: list[Where] = []
    for name in ("isRegistered", "isInvited"):
        value = bool_param(request, name)
        if value is not None:
            # JSON true/false read back as 1/0 in SQLite.
            where.append((f"json_extract(data, '$.{name}') = ?", (int(value),)))
    role = request.query_params.get("role")
    if role is not None:
        if role not in CONTRACT_TYPES:
            raise SimError(400, f"role must be one of {', '.join(CONTRACT_TYPES)}")
        where.append((HAS_CONTRACT_OF_TYPE, (role,)))
    return tuple(where)
