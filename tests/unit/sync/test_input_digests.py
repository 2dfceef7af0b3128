"""Input digests (issue 21): a row whose inputs are as recorded is not decided again - and
every input its outcome depends on is one: the row, related rows, the settings, the
identity-map facts and the dates (a date passing flips an unchanged row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from app.domain.config import SyncConfig, ranges
from app.domain.eligibility.master_data import contract_phase
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PersonPayload, PortalTicket, PortalUnit
from app.domain.reasons import Reason
from app.domain.records import (
    ContractRecord,
    PersonRecord,
    TicketRecord,
    TicketTypeRecord,
    UnitRecord,
)
from app.sync.outbound import tenancy
from app.sync.outbound.digests import InputDigests
from app.sync.outbound.run import RunReport, run_outbound
from app.sync.ports import Outcome
from tests.fakes import FakeLedger, FakePortal, FakeSource, context_for

CONFIG = SyncConfig(
    object_range=ranges("1001"), person_types=("MIETER",), portal_lead_days=14, deletion_days=90
)
UTC = dt.UTC


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


class Counted:
    """Counts the calls of a rule function of a module."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls = 0
        real = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


class World:
    """iX-Haus, casavi and one ledger across runs."""

    def __init__(self, **tables: Any) -> None:
        self.source = FakeSource(**tables)
        self.portal = FakePortal()
        self.ledger = FakeLedger()

    async def run(self, day: dt.date, config: SyncConfig = CONFIG) -> RunReport:
        self.portal.puts.clear()
        self.portal.removes.clear()
        ctx = context_for(self.source, self.portal, config=config, ledger=self.ledger)
        return await run_outbound(ctx, run_id=None, now=_at(day))

    def lines(self) -> list[Outcome]:
        return [outcome for _, outcome in self.ledger.protocol]


def _contract(number: str, person_no: str, unit_no: str = "01", **dates: Any) -> ContractRecord:
    return ContractRecord(
        number=number, object_no="1001", unit_no=unit_no, person_no=person_no, **dates
    )


def _person(number: str, **fields: Any) -> PersonRecord:
    return PersonRecord(number=number, person_type="MIETER", **fields)


PERSON = RecordKey.person
DAY = dt.date(2026, 6, 15)


async def test_an_unchanged_person_is_not_decided_again(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(
        persons=[_person("1"), _person("2")],  # "2" has no contract: excluded
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1))],
    )
    first = await world.run(DAY)
    assert (first.counts.sent, first.counts.excluded) == (1, 1)
    decided = Counted(monkeypatch, tenancy, "decide_person")
    again = await world.run(DAY)
    assert decided.calls == 0
    # Counted exactly as before: the sent one unchanged, the excluded one still excluded.
    assert (again.counts.sent, again.counts.unchanged, again.counts.excluded) == (0, 2, 0)
    assert again.tally.still_excluded == 1
    assert len(world.lines()) == 2  # no new protocol lines


async def test_a_changed_person_is_decided_and_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(
        persons=[_person("1", phone="1"), _person("2")],
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1))],
    )
    await world.run(DAY)
    world.source.tables["persons"][0] = _person("1", phone="2")
    decided = Counted(monkeypatch, tenancy, "decide_person")
    report = await world.run(DAY)
    assert decided.calls == 1
    assert world.portal.puts == [PERSON("1")]
    assert report.counts.sent == 1


async def test_portal_access_opening_flips_an_unchanged_person() -> None:  # rule C10, P1
    start = DAY + dt.timedelta(days=20)  # access opens 14 days before: on DAY + 6
    world = World(persons=[_person("1")], contracts=[_contract("V1", "1", start=start)])
    await world.run(DAY)
    assert world.lines()[-1].reason_code == Reason.PORTAL_ACCESS_NOT_YET_OPEN.value
    await world.run(DAY + dt.timedelta(days=5))
    assert world.portal.puts == []  # the day before: still not open
    await world.run(DAY + dt.timedelta(days=6))
    assert world.portal.puts == [PERSON("1")]


async def test_deletion_becoming_due_flips_an_unchanged_person() -> None:  # rules P3, C15
    move_out = DAY - dt.timedelta(days=80)  # deletion due 90 days after: on DAY + 10
    world = World(
        persons=[_person("1")],
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1), move_out=move_out)],
    )
    await world.run(DAY)
    assert world.portal.puts == [PERSON("1")]
    await world.run(DAY + dt.timedelta(days=9))
    assert world.portal.removes == []
    await world.run(DAY + dt.timedelta(days=10))
    assert world.portal.removes == [PERSON("1")]
    assert world.lines()[-1].reason_code == Reason.MOVED_OUT_DELETION_DUE.value


async def test_a_contract_ending_changes_the_unit_the_next_day() -> None:  # rule M5
    end = DAY + dt.timedelta(days=3)
    world = World(
        units=[UnitRecord(object_no="1001", number="01")],
        persons=[_person("1")],
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1), end=end)],
    )
    unit = RecordKey.unit("1001", "01")
    await world.run(DAY)
    sent = world.portal.records[unit]
    assert isinstance(sent, PortalUnit)
    assert sent.contract_end == end
    await world.run(end)  # the contract still runs on its last day
    assert unit not in world.portal.puts
    await world.run(end + dt.timedelta(days=1))
    assert unit in world.portal.puts
    after = world.portal.records[unit]
    assert isinstance(after, PortalUnit)
    assert after.contract_start is None


async def test_a_settings_change_re_decides_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(
        persons=[_person("1"), _person("2")],
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1))],
    )
    await world.run(DAY)
    lines = len(world.lines())
    decided = Counted(monkeypatch, tenancy, "decide_person")
    # A setting no person rule reads: every row decided again, with the same outcomes.
    report = await world.run(DAY, msgspec.structs.replace(CONFIG, retention_days=30))
    assert decided.calls == 2
    assert (report.counts.sent, report.counts.unchanged, report.counts.excluded) == (0, 2, 0)
    assert len(world.lines()) == lines  # restated with the new digest, without a line
    await world.run(DAY, msgspec.structs.replace(CONFIG, retention_days=30))
    assert decided.calls == 2  # and then skipped again
    # One the rules read: the person goes out as a non-portal user (P2, C5).
    await world.run(DAY, msgspec.structs.replace(CONFIG, person_types=("GEWERBE",)))
    assert world.portal.puts == [PERSON("1")]
    record = world.portal.records[PERSON("1")]
    assert isinstance(record, PersonPayload)
    assert not record.person.portal_user


async def test_ledger_rows_without_a_digest_are_decided_once_and_restated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World(
        persons=[_person("1"), _person("2")],
        contracts=[_contract("V1", "1", start=dt.date(2020, 1, 1))],
    )
    await world.run(DAY)
    for at, entry in list(world.ledger.rows.items()):  # as written before revision 0012
        world.ledger.rows[at] = msgspec.structs.replace(entry, input_digest=None)
    lines = len(world.lines())
    decided = Counted(monkeypatch, tenancy, "decide_person")
    report = await world.run(DAY)
    assert decided.calls == 2
    assert report.counts.unchanged == 2
    assert len(world.lines()) == lines
    assert all(e.input_digest for e in world.ledger.rows.values())
    await world.run(DAY)
    assert decided.calls == 2


def _ticket(**fields: Any) -> TicketRecord:
    values: dict[str, Any] = {
        "number": 7,
        "type_no": "10",
        "subject": "Heizung",
        "object_no": "1001",
        "reported_at": _at(dt.date(2025, 3, 1)),
    }
    return TicketRecord(**{**values, **fields})


TYPES = [TicketTypeRecord(number="10", name="Schaden")]


async def test_a_ticket_follows_its_reporter_into_casavi() -> None:  # rule T3 references
    world = World(persons=[_person("1")], tickets=[_ticket(reporter_person_no="1")])
    world.source.tables["ticket_types"] = TYPES
    await world.run(DAY)  # the reporter has no contract: not in casavi
    ticket = RecordKey.ticket(7)
    first = world.portal.records[ticket]
    assert isinstance(first, PortalTicket)
    assert first.reporter_person_no is None
    await world.run(DAY)
    assert world.portal.puts == []
    world.source.tables["contracts"] = [_contract("V1", "1", start=dt.date(2020, 1, 1))]
    await world.run(DAY)  # the ticket row is unchanged; its reporter now is in casavi
    after = world.portal.records[ticket]
    assert isinstance(after, PortalTicket)
    assert after.reporter_person_no == "1"


async def test_a_new_year_ends_the_c3_window_of_an_unchanged_ticket() -> None:  # rule C3
    closed = _ticket(closed_at=_at(dt.date(2025, 12, 30)))
    world = World(tickets=[_ticket(), closed])
    world.source.tables["ticket_types"] = TYPES
    world.source.tables["tickets"] = [_ticket(closed_at=None)]
    await world.run(dt.date(2026, 12, 1))  # sent while open
    world.source.tables["tickets"] = [closed]
    await world.run(dt.date(2026, 12, 2))  # closed in 2025: within C3 (since 1 Jan 2025)
    assert world.portal.puts == [RecordKey.ticket(7)]
    await world.run(dt.date(2026, 12, 31))
    assert world.portal.puts == []
    assert world.portal.removes == []
    await world.run(dt.date(2027, 1, 1))  # the window now starts on 1 Jan 2026
    assert world.portal.removes == [RecordKey.ticket(7)]
    assert world.lines()[-1].reason_code == Reason.TICKET_ENDED_BEFORE_PREVIOUS_YEAR.value


def _days() -> Iterator[dt.date]:
    day = dt.date(2026, 1, 1)
    while day < dt.date(2026, 4, 1):
        yield day
        day += dt.timedelta(days=1)


def test_equal_digests_mean_equal_decisions_whatever_the_day() -> None:
    """Every day of a quarter against every other: a person whose contracts' phases are the
    same on two days is decided the same on both (the digest's date part is exact)."""
    contracts = (
        _contract("A", "1", start=dt.date(2026, 2, 10), move_out=dt.date(2026, 3, 1)),
        _contract("B", "1", "02", start=dt.date(2026, 1, 20), end=dt.date(2026, 1, 25)),
    )
    person = _person("1")
    by_phase: dict[tuple[int, ...], Any] = {}
    config = msgspec.structs.replace(CONFIG, deletion_days=10)
    for day in _days():
        phases = tuple(contract_phase(c, config, day) for c in contracts)
        decision = tenancy._decide_person(person, contracts, (), config, day)
        assert by_phase.setdefault(phases, decision) == decision, day
    assert len(by_phase) > 3  # the quarter crosses several of the contracts' dates


def test_a_kind_without_dates_digests_the_same_on_every_day() -> None:
    digests = InputDigests("person", CONFIG)
    assert digests(_person("1")) == digests(_person("1"))
    assert digests(_person("1")) != digests(_person("1", phone="1"))
    other = InputDigests("person", msgspec.structs.replace(CONFIG, deletion_days=1))
    assert other(_person("1")) != digests(_person("1"))
    assert EntityKind.PERSON.value == "person"
