"""The outbound run counts days in the system's calendar (Europe/Berlin), not in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain.config import SyncConfig, ranges
from app.domain.keys import RecordKey
from app.domain.portal import PersonPayload, PortalUnit
from app.domain.records import ContractRecord, ObjectRecord, PersonRecord, UnitRecord
from app.sync.context import SystemContext
from app.sync.outbound.run import run_outbound
from tests.fakes import FakeLedger, FakePortal, FakePortalStates, FakeSource, context_for

BERLIN = ZoneInfo("Europe/Berlin")
DUE = date(2026, 6, 15)  # the first day on which the deletion is due (local date)
CONFIG = SyncConfig(object_range=ranges("1001"), person_types=("MIETER",), deletion_days=90)
PERSON = RecordKey.person("100001")


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def context(
    source: FakeSource,
    portal: FakePortal,
    ledger: FakeLedger,
    states: FakePortalStates,
    config: SyncConfig = CONFIG,
) -> SystemContext:
    return context_for(source, portal, config=config, ledger=ledger, states=states)


def moved_out_source(move_out: date) -> FakeSource:
    return FakeSource(
        objects=[ObjectRecord(number="1001", name="Haus am See")],
        units=[UnitRecord(object_no="1001", number="001")],
        persons=[PersonRecord(number="100001", person_type="MIETER", last_name="Schäfer")],
        contracts=[
            ContractRecord(
                number="V1",
                object_no="1001",
                unit_no="001",
                person_no="100001",
                start=date(2020, 1, 1),
                move_out=move_out,
            )
        ],
    )


async def test_a_run_at_half_past_midnight_berlin_deletes_on_the_due_day() -> None:
    # rule P3, rule C15: the moved-out tenant is reported deleted from move-out + 90 days on,
    # counted in Berlin days: at 00:30 local (22:30 UTC the day before) the deletion is due.
    source = moved_out_source(DUE - timedelta(days=CONFIG.deletion_days))
    ledger, portal, states = FakeLedger(), FakePortal(), FakePortalStates()
    ctx = context(source, portal, ledger, states)

    await run_outbound(ctx, run_id=1, now=berlin(DUE - timedelta(days=1), 12))
    assert isinstance(portal.records[PERSON], PersonPayload)

    late_evening = berlin(DUE - timedelta(days=1), 23, 30)  # 21:30 UTC: still the day before
    await run_outbound(ctx, run_id=2, now=late_evening)
    assert PERSON not in portal.removes

    half_past_midnight = berlin(DUE, 0, 30)
    assert half_past_midnight.date() == DUE - timedelta(days=1)  # the UTC date is a day behind
    await run_outbound(ctx, run_id=3, now=half_past_midnight)
    assert portal.removes == [PERSON]
    assert ledger.rows[("test", PERSON)].state == "deleted"


async def test_current_contract_and_portal_access_use_the_berlin_date() -> None:
    # rule C10, rule M5: a contract starting on the 15th opens the portal 14 days before and is
    # the unit's current contract from the 15th on - both counted in Berlin days.
    start = DUE
    source = FakeSource(
        objects=[ObjectRecord(number="1001", name="Haus am See")],
        units=[UnitRecord(object_no="1001", number="001")],
        persons=[PersonRecord(number="100001", person_type="MIETER", last_name="Schäfer")],
        contracts=[
            ContractRecord(
                number="V1", object_no="1001", unit_no="001", person_no="100001", start=start
            )
        ],
    )
    ledger, portal, states = FakeLedger(), FakePortal(), FakePortalStates()
    config = SyncConfig(object_range=ranges("1001"), portal_lead_days=0)
    ctx = context(source, portal, ledger, states, config)
    await run_outbound(ctx, run_id=1, now=berlin(start, 0, 30))
    unit = portal.records[RecordKey.unit("1001", "001")]
    assert isinstance(unit, PortalUnit)
    assert unit.contract_start == start  # M5: already current at 00:30 Berlin
    assert PERSON in portal.records  # C10: access opens on the start day (lead 0)
