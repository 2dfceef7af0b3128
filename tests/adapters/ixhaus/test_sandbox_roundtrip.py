"""Seed ``small`` into PostgreSQL and SQLite, read it back and check counts and every edge.

Rules are evaluated with the pure domain functions over what the reader returns, using the
configuration the sandbox is designed for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import LOGICAL_TABLES, IxhausSchemaConfig, IxhausTables
from app.domain.config import SyncConfig
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.documents import decide_document
from app.domain.eligibility.master_data import (
    decide_caretaker,
    decide_owner,
    decide_team,
    decide_user,
)
from app.domain.eligibility.notes import decide_note
from app.domain.eligibility.persons import decide_person, partner_contracts
from app.domain.eligibility.tickets import commissioning_note, decide_ticket, ticket_user_reason
from app.domain.fingerprint import fingerprint
from app.domain.keys import RecordKey
from app.domain.reasons import Reason
from app.sandbox.ixhaus import SeedReport, sandbox_sync_config, seed
from app.sandbox.ixhaus.master_data import person_no

K = RecordKey.parse

TODAY = date(2026, 6, 15)
NOW = datetime.combine(TODAY, time(12), ZoneInfo("Europe/Berlin")).astimezone(UTC)
TABLES = IxhausTables(IxhausSchemaConfig(prefix="rt_"))


@dataclass
class Portfolio:
    data: dict[str, list[Any]]

    def __getattr__(self, name: str) -> list[Any]:
        return self.data[name]


async def read_all(engine: AsyncEngine, tables: IxhausTables = TABLES) -> Portfolio:
    reader = IxhausReader(engine, tables, batch_size=7)  # tiny partitions: many round trips
    names = [n for n in LOGICAL_TABLES if n != "team_members"]
    return Portfolio({n: [rec async for rec in getattr(reader, n)()] for n in names})


@pytest.fixture
async def seeded(engine: AsyncEngine) -> tuple[SeedReport, Portfolio]:
    report = await seed(engine, "small", seed=7, today=TODAY, tables=TABLES)
    return report, await read_all(engine)


async def test_counts_match_the_seed_report(seeded: tuple[SeedReport, Portfolio]) -> None:
    report, portfolio = seeded
    for name, records in portfolio.data.items():
        assert len(records) == report.counts[name], name
    assert report.counts["objects"] == 4
    assert report.counts["persons"] == 80
    assert report.counts["team_members"] == 8
    assert {t.number: len(t.member_user_nos) for t in portfolio.teams} == {
        "T1": 2, "T2": 2, "T3": 2, "T4": 2,
    }  # fmt: skip


def _person_decisions(p: Portfolio, config: SyncConfig) -> dict[str, Any]:
    by_person: dict[str, list[Any]] = defaultdict(list)
    for c in p.contracts:
        by_person[c.person_no].append(c)
    frozen = {k: tuple(v) for k, v in by_person.items()}
    managed = {x.number: x.partner_managed for x in p.persons}
    out = {}
    for person in p.persons:
        inherited = partner_contracts(person.number, p.partner_relations, managed, frozen)
        out[person.number] = decide_person(
            person, frozen.get(person.number, ()), config, TODAY, inherited
        )
    return out


EXPECTED_PERSONS = {
    # rule P1 / rule P2 / rule P3 / rule P4 / rule C10 / rule C15 edges of the sandbox
    "active_tenant": (Transfer, None),
    "moved_out_inside_window": (Transfer, None),
    "moved_out_deletion_day": (Delete, Reason.MOVED_OUT_DELETION_DUE),
    "moved_out_day_before_deletion": (Transfer, None),
    "moved_out_outside_window": (Delete, Reason.MOVED_OUT_DELETION_DUE),
    "anonymised_inside_window": (Transfer, None),
    "anonymised_outside_window": (Delete, Reason.MOVED_OUT_DELETION_DUE),
    "disabled_person_type": (Transfer, Reason.PERSON_TYPE_NOT_ENABLED),
    "start_exactly_at_lead_time": (Transfer, None),
    "start_one_day_after_lead_time": (Exclude, Reason.PORTAL_ACCESS_NOT_YET_OPEN),
    "start_far_in_future": (Exclude, Reason.PORTAL_ACCESS_NOT_YET_OPEN),
    "start_inside_lead_time": (Transfer, None),
}


async def test_person_edges(seeded: tuple[SeedReport, Portfolio]) -> None:
    # rule P1, rule P2, rule P3, rule P4, rule P5, rule C10, rule C15 on read-back data
    report, p = seeded
    config = sandbox_sync_config("small")
    decisions = _person_decisions(p, config)
    assert tuple(EXPECTED_PERSONS) == report.edges["contracts"]
    for k, (name, (kind, reason)) in enumerate(EXPECTED_PERSONS.items()):
        decision = decisions[person_no(k)]
        assert isinstance(decision, kind), name
        assert (decision.note if isinstance(decision, Transfer) else decision.reason) is reason
    anonymised = decisions[person_no(5)]
    assert isinstance(anonymised, Transfer)
    assert anonymised.record.anonymised
    assert anonymised.record.last_name is None
    persons = {x.number: x for x in p.persons}
    kinds = defaultdict(set)
    for number, decision in decisions.items():
        kinds[persons[number].person_type].add(type(decision).__name__)
    assert "Transfer" in kinds["MIETER"]  # partners inherit via P5
    assert kinds["INTERESSENT"] == {"Exclude"}  # prospects: no contract
    partner_of_unmanaged = next(r for r in p.partner_relations if r.person_no == person_no(12))
    assert isinstance(decisions[partner_of_unmanaged.partner_no], Exclude)
    reasons = {d.reason for d in decisions.values() if isinstance(d, Exclude)}
    assert Reason.OBJECT_NOT_ENABLED in reasons  # tenants of the disabled last object


EXPECTED_TICKETS = {
    # rule T1 .. rule T6, rule C3, rule C4, rule C8 edges of the sandbox
    "open_ticket": (Transfer, None),
    "open_ticket_disabled_team": (Exclude, Reason.TEAM_NOT_ENABLED),
    "open_ticket_without_team": (Transfer, None),
    "locked_type": (Exclude, Reason.TICKET_TYPE_LOCKED),
    "bulletin_open": (Transfer, None),
    "bulletin_closed": (Delete, Reason.BULLETIN_CLOSED),
    "object_notice": (Transfer, None),
    "closed_before_boundary": (Exclude, Reason.TICKET_ENDED_BEFORE_PREVIOUS_YEAR),
    "closed_at_boundary": (Transfer, None),
    "cancelled_after_boundary": (Transfer, None),
    "full_history_closed_old": (Transfer, None),
    "disabled_object": (Exclude, Reason.OBJECT_NOT_ENABLED),
    "commissioned_heating": (Transfer, None),
}


async def test_ticket_and_note_edges(seeded: tuple[SeedReport, Portfolio]) -> None:
    # rule T1, rule T2, rule T4, rule T5, rule T6, rule T8, rule C3, rule C4, rule N2
    report, p = seeded
    config = sandbox_sync_config("small")
    types = {t.number: t for t in p.ticket_types}
    tickets = {t.number: t for t in p.tickets}
    assert tuple(EXPECTED_TICKETS) == report.edges["tickets"]
    decisions = {n: decide_ticket(t, types.get(t.type_no), config, NOW) for n, t in tickets.items()}
    for n, (name, (kind, reason)) in enumerate(EXPECTED_TICKETS.items(), start=1):
        decision = decisions[n]
        assert isinstance(decision, kind), name
        assert getattr(decision, "reason", None) is reason, name
    bulletin, notice = decisions[5], decisions[7]
    assert isinstance(bulletin, Transfer)
    assert bulletin.record.status_no is None
    assert isinstance(notice, Transfer)
    assert notice.record.audience == "object"
    assert tickets[8].closed_at is not None
    assert tickets[8].closed_at < NOW
    first = {n: decide_ticket(t, types.get(t.type_no), config, NOW, first_export=True)
             for n, t in tickets.items()}  # fmt: skip
    assert isinstance(first[10], Exclude)  # rule T1: closed ones wait for later runs
    assert isinstance(first[11], Transfer)  # rule C4: full history
    orders = [o for o in p.work_orders if o.ticket_no == 13]
    note = commissioning_note(tickets[13], types[tickets[13].type_no], orders[0])
    assert note is not None
    assert "beauftragt" in note.record.content
    transferred = {n for n, d in decisions.items() if isinstance(d, Transfer)}
    notes = {n.id: decide_note(n, ticket_transferred=n.ticket_no in transferred) for n in p.notes}
    assert isinstance(notes[1], Transfer)
    assert notes[2] == Exclude(key=K("note:2"), reason=Reason.NOTE_INTERNAL)
    assert sum(1 for n in p.notes if n.internal) > 5


EXPECTED_DOCUMENTS = {
    # rule D1 .. rule D6, rule C6, rule C7 edges of the sandbox
    "old_lease_without_time_filter": (Transfer, None),
    "statement_before_boundary": (Delete, Reason.DOCUMENT_BEFORE_TIME_FILTER),
    "statement_at_boundary": (Transfer, None),
    "released_over_100mb": (Exclude, Reason.DOCUMENT_TOO_LARGE),
    "unreleased": (Delete, Reason.DOCUMENT_NOT_RELEASED),
    "type_not_configured": (Delete, Reason.DOCUMENT_TYPE_NOT_CONFIGURED),
    "disabled_object": (Exclude, Reason.OBJECT_NOT_ENABLED),
    "ticket_document": (Transfer, None),
    "docuware_document": (Transfer, None),
    "exactly_100mb": (Transfer, None),
}


async def test_document_and_master_data_edges(seeded: tuple[SeedReport, Portfolio]) -> None:
    # rule D1 .. rule D6, rule C13, rule M1, rule M2, rule M3, rule M7, rule C11
    report, p = seeded
    config = sandbox_sync_config("small")
    types = {t.number: t for t in p.document_types}
    assert tuple(EXPECTED_DOCUMENTS) == report.edges["documents"]
    for doc, (name, (kind, reason)) in zip(p.documents, EXPECTED_DOCUMENTS.items(), strict=False):
        decision = decide_document(doc, types.get(doc.type_no), config, NOW)
        assert isinstance(decision, kind), name
        assert getattr(decision, "reason", None) is reason, name
    assert p.documents[7].ticket_no == 1
    no_dw = msgspec_replace(config, no_docuware_sync=True)
    dw = decide_document(p.documents[8], types["RS"], no_dw, NOW)
    assert dw == Exclude(key=K("document:9"), reason=Reason.DOCUWARE_SYNC_DISABLED)
    assert all(isinstance(decide_owner(o, config), Transfer) for o in p.owners[:2])
    assert isinstance(decide_owner(p.owners[-1], config), Exclude)  # last object disabled
    assert isinstance(decide_caretaker(p.caretakers[0], config), Transfer)
    users = {u.number: u for u in p.users}
    assert ticket_user_reason(config, users) is None
    assert sum(isinstance(decide_user(u), Exclude) for u in p.users) == 1
    teams = {t.number: decide_team(t, config) for t in p.teams}
    assert isinstance(teams["T4"], Exclude)
    assert isinstance(teams["T1"], Transfer)


def msgspec_replace(config: SyncConfig, **changes: Any) -> SyncConfig:
    import msgspec

    return msgspec.structs.replace(config, **changes)


async def test_seed_is_deterministic(tmp_path: Any) -> None:
    async def snapshot(name: str, seed_value: int) -> list[str]:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / name}")
        try:
            await seed(engine, "small", seed=seed_value, today=TODAY)
            p = await read_all(engine, IxhausTables())
        finally:
            await engine.dispose()
        return [fingerprint(r) for records in p.data.values() for r in records]

    first, again, other = (
        await snapshot("a.db", 3),
        await snapshot("b.db", 3),
        await snapshot("c.db", 4),
    )
    assert first == again
    assert first != other
