"""The stage logic (diff against the ledger, send, remove, record) over in-memory fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from typing import Any

from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.reasons import Reason
from app.domain.records import ObjectRecord
from app.sync.outbound.stages import run_stage
from app.sync.policy import RunPolicy
from tests.fakes import FakeLedger, FakePortal, FakePortalStates

OBJ = EntityKind.OBJECT


def key(n: str) -> RecordKey:
    return RecordKey.of(OBJ, n)


def obj(n: str, name: str = "Haus") -> Transfer[ObjectRecord]:
    return Transfer(key=key(n), record=ObjectRecord(number=n, name=name))


async def stream(decisions: Iterable[Decision[Any]]) -> AsyncIterator[Decision[Any]]:
    for d in decisions:
        yield d


async def stage(
    decisions: Iterable[Decision[Any]],
    ledger: FakeLedger,
    portal: FakePortal,
    run_id: int = 1,
    now: dt.datetime | None = None,
    policy: RunPolicy | None = None,
) -> Any:
    return await run_stage(
        OBJ,
        stream(decisions),
        system="test",
        run_id=run_id,
        ledger=ledger,
        portal=portal,
        now=now,
        policy=policy or RunPolicy(),
    )


async def test_first_run_sends_everything_and_records_it() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    counts = await stage([obj("1"), obj("2")], ledger, portal)
    assert (counts.sent, counts.unchanged, counts.errors) == (2, 0, 0)
    assert portal.puts == [key("1"), key("2")]
    assert {k for (_, k) in ledger.rows} == {key("1"), key("2")}
    assert all(e.state == "sent" and e.casavi_id for e in ledger.rows.values())


async def test_unchanged_records_are_neither_sent_nor_written() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1"), obj("2")], ledger, portal)
    saves, protocol = ledger.saves, len(ledger.protocol)
    portal.puts.clear()
    counts = await stage([obj("1"), obj("2")], ledger, portal, run_id=2)
    assert (counts.sent, counts.unchanged) == (0, 2)
    assert portal.puts == []
    assert (ledger.saves, len(ledger.protocol)) == (saves, protocol)


async def test_a_changed_record_is_sent_again() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1"), obj("2")], ledger, portal)
    portal.puts.clear()
    counts = await stage([obj("1", "Neu"), obj("2")], ledger, portal, run_id=2)
    assert counts.sent == 1
    assert portal.puts == [key("1")]


async def test_a_sent_record_that_becomes_a_deletion_is_removed_once() -> None:
    # rule P3/T5: a deletion is only sent for a record casavi has
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1")], ledger, portal)
    gone = Delete(key=key("1"), reason=Reason.BULLETIN_CLOSED)
    counts = await stage([gone], ledger, portal, run_id=2)
    assert counts.removed == 1
    assert portal.removes == [key("1")]
    assert ledger.rows[("test", key("1"))].state == "deleted"
    again = await stage([gone], ledger, portal, run_id=3)
    assert again.removed == 0
    assert portal.removes == [key("1")]


async def test_a_deletion_never_sent_is_only_recorded() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    counts = await stage([Delete(key=key("9"), reason=Reason.BULLETIN_CLOSED)], ledger, portal)
    assert counts.excluded == 1
    assert portal.removes == []
    assert ledger.rows[("test", key("9"))].state == "excluded"


async def test_a_record_leaving_the_eligible_set_is_removed() -> None:
    ledger, portal = FakeLedger(), FakePortal()
    await stage([obj("1")], ledger, portal)
    counts = await stage(
        [Exclude(key=key("1"), reason=Reason.OBJECT_NOT_ENABLED)], ledger, portal, run_id=2
    )
    assert counts.removed == 1
    assert portal.removes == [key("1")]
    assert ledger.rows[("test", key("1"))].state == "excluded"


async def test_exclusions_are_recorded_once_with_their_reason() -> None:
    # rule S1: the reason a record is not transferred is kept
    ledger, portal = FakeLedger(), FakePortal()
    excluded = Exclude(key=key("5"), reason=Reason.OBJECT_NOT_ENABLED)
    await stage([excluded], ledger, portal)
    assert ledger.rows[("test", key("5"))].reason_code == Reason.OBJECT_NOT_ENABLED.value
    before = len(ledger.protocol)
    counts = await stage([excluded], ledger, portal, run_id=2)
    assert counts.excluded == 1
    assert len(ledger.protocol) == before


async def test_one_failing_record_never_stops_the_stage_and_is_retried() -> None:
    # rule L3: the error is recorded per record; the others go through
    ledger, portal = FakeLedger(), FakePortal()
    portal.fail_keys = {key("2")}
    counts = await stage([obj("1"), obj("2"), obj("3")], ledger, portal)
    assert (counts.sent, counts.errors) == (2, 1)
    failed = ledger.rows[("test", key("2"))]
    assert failed.state == "error"
    error_lines = [o for _, o in ledger.protocol if o.state == "error"]
    assert error_lines
    assert "casavi said no" in (error_lines[0].error or "")
    portal.fail_keys.clear()
    # Not before its backoff has passed (a record casavi rejects is not hammered)...
    waiting = await stage([obj("1"), obj("2"), obj("3")], ledger, portal, run_id=2)
    assert (waiting.sent, waiting.errors, portal.puts.count(key("2"))) == (0, 1, 0)
    # ...then again, with its attempt count.
    assert failed.attempts == 1
    assert failed.next_attempt_at is not None
    later = failed.next_attempt_at + dt.timedelta(seconds=1)
    retry = await stage([obj("1"), obj("2"), obj("3")], ledger, portal, run_id=3, now=later)
    assert (retry.sent, retry.unchanged) == (1, 2)


async def test_ticket_stage_records_the_portal_field() -> None:
    # rule S1: the reason a ticket is not transferred is its portal field
    ledger, portal, states = FakeLedger(), FakePortal(), FakePortalStates()
    decisions: list[Decision[Any]] = [
        Exclude(key=RecordKey.ticket(7), reason=Reason.TICKET_TYPE_LOCKED),
    ]
    await run_stage(
        EntityKind.TICKET,
        stream(decisions),
        system="test",
        run_id=1,
        ledger=ledger,
        portal=portal,
        portal_states=states,
    )
    state = states.states[("test", "7")]
    assert not state.transferred
    assert state.reason_code == Reason.TICKET_TYPE_LOCKED.value
    assert state.reason_text
