"""A run reads each iX-Haus table once and decides the same as before (P5 across the
persons stream; ledger keys without decoding)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import pytest

from app.domain.config import SyncConfig, ranges
from app.domain.decisions import Exclude, Transfer
from app.domain.identity import PARENT_KINDS, IdentityMap
from app.domain.keys import EntityKind, InvalidKey, LedgerKeys, RecordKey
from app.domain.portal import PersonPayload
from app.domain.reasons import Reason
from app.domain.records import ContractRecord, PartnerRelation, PersonRecord
from app.sync.outbound import tenancy
from app.sync.outbound.run import Scope, run_outbound
from app.sync.ports import LedgerEntry
from tests.fakes import NOW, FakeLedger, FakePortal, FakeSource, context_for

CONFIG = SyncConfig(object_range=ranges("1001"), person_types=("MIETER",))
TODAY = date(2026, 3, 2)


class CountingSource(FakeSource):
    def __init__(self, **tables: Any) -> None:
        super().__init__(**tables)
        self.reads: Counter[str] = Counter()

    async def _rows(self, name: str) -> AsyncIterator[Any]:
        self.reads[name] += 1
        async for row in super()._rows(name):
            yield row


def _contract(person_no: str) -> ContractRecord:
    return ContractRecord(
        number=f"V{person_no}",
        object_no="1001",
        unit_no="01",
        person_no=person_no,
        start=date(2020, 1, 1),
    )


def _source() -> CountingSource:
    # Partners "100" and "102" come before their main persons "500" / "600" in the
    # stream: "500" is kept in the partner management (P5), "600" is not.
    return CountingSource(
        persons=[
            PersonRecord(number="100", person_type="MIETER", last_name="Partnerin"),
            PersonRecord(number="102", person_type="MIETER", last_name="Mitbewohner"),
            PersonRecord(number="500", person_type="MIETER", partner_managed=True),
            PersonRecord(number="600", person_type="MIETER", partner_managed=False),
        ],
        partner_relations=[
            PartnerRelation(person_no="500", partner_no="100", kind="co_resident"),
            PartnerRelation(person_no="600", partner_no="102", kind="contract_partner"),
        ],
        contracts=[_contract("500"), _contract("600")],
    )


async def test_partners_inherit_across_the_stream_from_a_single_read_of_persons() -> None:
    source = _source()
    contracts = [c async for c in source.contracts()]
    people = tenancy.person_decisions(source, CONFIG, TODAY, contracts)
    decisions = {(decision := d.decide()).key.number: decision async for d in people}
    assert source.reads["persons"] == 1
    partner = decisions["100"]
    assert isinstance(partner, Transfer)
    assert isinstance(partner.record, PersonPayload)
    assert [c.number for c in partner.record.contracts] == ["V500"]  # P5
    unmanaged = decisions["102"]
    assert isinstance(unmanaged, Exclude)
    assert unmanaged.reason is Reason.NO_VALID_CONTRACT
    assert isinstance(decisions["500"], Transfer)
    assert isinstance(decisions["600"], Transfer)


async def test_a_run_reads_the_big_tables_once() -> None:
    source = _source()
    ctx = context_for(source, FakePortal(), config=CONFIG)
    await run_outbound(ctx, run_id=1, now=NOW)
    for table in ("persons", "contracts", "partner_relations", "units", "tickets"):
        assert source.reads[table] <= 1, table


def test_ledger_keys_answer_membership_by_ledger_key() -> None:
    person = RecordKey.person("100")
    unit = RecordKey.unit("1001", "01")
    keys = LedgerKeys([person.ledger_key, unit.ledger_key])
    assert person in keys
    assert unit in keys
    assert RecordKey.person("101") not in keys
    assert RecordKey.of(EntityKind.USER, "100") not in keys
    assert "person:100" not in keys  # type: ignore[comparison-overlap]  # keys, not strings
    assert len(keys) == 2


def test_the_ledger_decoder_is_from_ledger() -> None:
    decode = RecordKey.ledger_decoder(EntityKind.UNIT)
    assert decode("unit:1001/05") == RecordKey.unit("1001", "05")
    assert decode("unit:1001/05") == RecordKey.from_ledger("unit", "unit:1001/05")
    with pytest.raises(InvalidKey):
        decode("person:1001")
    with pytest.raises(InvalidKey):
        decode("unit:1001//05")


class CountingLedger(FakeLedger):
    def __init__(self) -> None:
        super().__init__()
        self.loads: Counter[EntityKind] = Counter()
        self.identity_reads: list[list[EntityKind]] = []

    async def load(self, system: str, kind: EntityKind) -> dict[str, LedgerEntry]:
        self.loads[kind] += 1
        return await super().load(system, kind)

    async def identities(self, system: str, kinds: Sequence[EntityKind]) -> IdentityMap:
        self.identity_reads.append(list(kinds))
        return await super().identities(system, kinds)


async def test_a_run_reads_each_kinds_ledger_once_for_its_entries_and_identities() -> None:
    # The identity map of a run is filled as each stage reads its kind's ledger: a second
    # read of the parents' rows at the start was a quarter of a no-change run's reads.
    ledger = CountingLedger()
    ctx = context_for(_source(), FakePortal(), config=CONFIG, ledger=ledger)
    await run_outbound(ctx, run_id=1, now=NOW)
    assert ledger.identity_reads == []
    assert set(ledger.loads.values()) == {1}
    assert set(PARENT_KINDS) <= set(ledger.loads)
    # The second run finds the persons casavi holds (through the map the stages filled):
    # unchanged, nothing sent again.
    portal = FakePortal()
    ctx = context_for(_source(), portal, config=CONFIG, ledger=ledger)
    report = await run_outbound(ctx, run_id=2, now=NOW)
    assert portal.puts == []
    assert report.tally.unchanged > 0


async def test_a_run_of_some_kinds_reads_the_other_parents_identities_first() -> None:
    ledger = CountingLedger()
    ctx = context_for(_source(), FakePortal(), config=CONFIG, ledger=ledger)
    await run_outbound(ctx, run_id=1, now=NOW)
    ledger.identity_reads.clear()
    await run_outbound(ctx, run_id=2, now=NOW, scope=Scope(record=RecordKey.person("500")))
    [read] = ledger.identity_reads
    assert EntityKind.PERSON not in read
    assert EntityKind.UNIT in read
    assert EntityKind.OBJECT in read
