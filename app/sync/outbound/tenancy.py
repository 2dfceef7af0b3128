"""Decision sources of the tenancy: units (M5) and persons (P1-P6 with their contracts, M6),
both over the contracts a run reads once, each with its input digest (``digests``).

The digests cover the date phase of every contract they read (``contract_phase``): an
unchanged unit or person changes its outcome on the day a contract starts, ends, opens its
portal access or makes the deletion due, and so does its digest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import date
from functools import partial
from typing import Any

from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Transfer
from app.domain.eligibility.master_data import contract_phase, decide_contract, decide_unit
from app.domain.eligibility.persons import decide_person, partner_contracts
from app.domain.keys import EntityKind, ledger_key_of
from app.domain.portal import PersonPayload
from app.domain.records import ContractRecord, PartnerRelation, PersonRecord
from app.sync.outbound.digests import Digested, InputDigests
from app.sync.outbound.sources import group
from app.sync.ports import IxhausSource

UNIT, PERSON = EntityKind.UNIT, EntityKind.PERSON


def contract_phases(
    contracts: Sequence[ContractRecord], config: SyncConfig, today: date
) -> dict[ContractRecord, int]:
    """Each contract's date phase today (``contract_phase``)."""
    return {c: contract_phase(c, config, today) for c in contracts}


async def unit_decisions(
    reader: IxhausSource,
    config: SyncConfig,
    today: date,
    all_contracts: Sequence[ContractRecord],
    phases: dict[ContractRecord, int] | None = None,
) -> AsyncIterator[Digested]:
    """M5: each unit with the contract running today; its digest covers the unit, its
    contracts and their date phases."""
    phases = contract_phases(all_contracts, config, today) if phases is None else phases
    contracts: dict[tuple[str, str], list[ContractRecord]] = defaultdict(list)
    for contract in all_contracts:
        contracts[(contract.object_no, contract.unit_no)].append(contract)
    digests = InputDigests("unit", config)
    async for unit in reader.units():
        own = contracts.get((unit.object_no, unit.number), ())
        digest = digests(unit, [(c, phases[c]) for c in own]) if own else digests(unit)
        decide = partial(decide_unit, unit, config, today, own)
        yield Digested(ledger_key_of(UNIT, unit.object_no, unit.number), digest, decide)


async def person_decisions(
    reader: IxhausSource,
    config: SyncConfig,
    today: date,
    all_contracts: Sequence[ContractRecord],
    phases: dict[ContractRecord, int] | None = None,
) -> AsyncIterator[Digested]:
    """P1-P6 with M6: each person with its own and inherited (P5) contracts; its digest
    covers the person, those contracts and their date phases."""
    phases = contract_phases(all_contracts, config, today) if phases is None else phases
    grouped: dict[str, list[ContractRecord]] = defaultdict(list)
    for contract in all_contracts:
        grouped[contract.person_no].append(contract)
    by_person = {k: tuple(v) for k, v in grouped.items()}
    # P5: relations indexed by the partner, so each person looks at its own relations only.
    relations: dict[str, list[PartnerRelation]] = await group(
        reader.partner_relations(), "partner_no"
    )
    # The persons table is read once: a partner whose main person comes later in the stream
    # waits until the main person's P5 flag has been seen (at the latest, the stream's end).
    main_persons = {rel.person_no for rels in relations.values() for rel in rels}
    partner_managed: dict[str, bool] = {}
    waiting: list[PersonRecord] = []
    digests = InputDigests("person", config)

    def digested(person: PersonRecord) -> Digested:
        own = by_person.get(person.number, ())
        rels = relations.get(person.number)  # most persons have none (P5)
        inherited = (
            partner_contracts(person.number, rels, partner_managed, by_person) if rels else ()
        )
        if own or inherited:
            dated = [(c, phases[c]) for c in (*own, *inherited)]
            digest = digests(person, dated, len(own))
        else:
            digest = digests(person)
        decide = partial(_decide_person, person, own, inherited, config, today)
        return Digested(ledger_key_of(PERSON, person.number), digest, decide)

    async for person in reader.persons():
        if person.number in main_persons:
            partner_managed[person.number] = person.partner_managed
        mains = relations.get(person.number)
        if mains and any(rel.person_no not in partner_managed for rel in mains):
            waiting.append(person)
        else:
            yield digested(person)
    for person in waiting:
        # A main person iX-Haus does not list counts as not partner-managed (as before).
        yield digested(person)


def _decide_person(
    person: PersonRecord,
    own: tuple[ContractRecord, ...],
    inherited: tuple[ContractRecord, ...],
    config: SyncConfig,
    today: date,
) -> Decision[Any]:
    decision = decide_person(person, own, config, today, inherited)
    if not isinstance(decision, Transfer):
        return decision
    contracts = tuple(
        d.record
        for c in (*own, *inherited)
        if isinstance(d := decide_contract(c, config, today), Transfer)
    )
    return Transfer(
        key=decision.key,
        record=PersonPayload(person=decision.record, contracts=contracts),
        note=decision.note,
    )
