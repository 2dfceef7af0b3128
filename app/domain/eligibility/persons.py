"""Persons (rules P1-P6, C5, C10, C15).

A person is judged by the contracts that bind it to synchronised objects: its own, plus -
for co-residents and contract partners kept in the partner management (P5) - the contracts
of the person they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from app.domain.calendar import deletion_due, portal_access_open
from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.keys import RecordKey
from app.domain.portal import PortalPerson
from app.domain.reasons import Reason
from app.domain.records import ContractRecord, PartnerRelation, PersonRecord


def person_key(number: str) -> RecordKey:
    return RecordKey.person(number)


def contract_gone(contract: ContractRecord, config: SyncConfig, today: date) -> bool:
    """P3/C15: deletion is due N days after move-out (or after the contract end)."""
    out = contract.move_out or contract.end
    return out is not None and deletion_due(out, config.deletion_days, today)


def contract_active(contract: ContractRecord, config: SyncConfig, today: date) -> bool:
    """P1 + C10: valid = portal access already open and deletion not yet due."""
    return portal_access_open(contract.start, config.portal_lead_days, today) and not contract_gone(
        contract, config, today
    )


def partner_contracts(
    person_no: str,
    relations: Iterable[PartnerRelation],
    partner_managed: Mapping[str, bool],
    contracts_by_person: Mapping[str, tuple[ContractRecord, ...]],
) -> tuple[ContractRecord, ...]:
    """P5: contracts a co-resident/contract partner inherits from its main person.

    Only main persons kept in the partner management bring their partners along.
    """
    found: list[ContractRecord] = []
    for rel in relations:
        if rel.partner_no == person_no and partner_managed.get(rel.person_no, False):
            found.extend(contracts_by_person.get(rel.person_no, ()))
    return tuple(found)


def to_portal_person(person: PersonRecord, *, portal_user: bool) -> PortalPerson:
    if person.anonymised:
        # P4: the anonymisation itself is synchronised - no personal data leaves iX-Haus.
        return PortalPerson(number=person.number, portal_user=portal_user, anonymised=True)
    # P6: exactly these fields; balances and bookings are never transferred.
    return PortalPerson(
        number=person.number,
        portal_user=portal_user,
        salutation=person.salutation,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        phone=person.phone,
        bank_account=person.bank_account,
    )


def decide_person(
    person: PersonRecord,
    contracts: Iterable[ContractRecord],
    config: SyncConfig,
    today: date,
    inherited: Iterable[ContractRecord] = (),
) -> Decision[PortalPerson]:
    """Decide one person from its contracts (and the contracts inherited via P5)."""
    key = person_key(person.number)
    every = (*contracts, *inherited)
    enabled = [c for c in every if config.object_enabled(c.object_no)]
    if not enabled:
        reason = Reason.OBJECT_NOT_ENABLED if every else Reason.NO_VALID_CONTRACT
        return Exclude(key=key, reason=reason)
    if any(contract_active(c, config, today) for c in enabled):
        # P2/C5: persons of types not enabled are still sent, as non-portal users.
        portal_user = person.person_type in config.person_types
        note = None if portal_user else Reason.PERSON_TYPE_NOT_ENABLED
        return Transfer(
            key=key, record=to_portal_person(person, portal_user=portal_user), note=note
        )
    if any(contract_gone(c, config, today) for c in enabled):
        return Delete(key=key, reason=Reason.MOVED_OUT_DELETION_DUE)  # P3
    return Exclude(key=key, reason=Reason.PORTAL_ACCESS_NOT_YET_OPEN)  # C10
