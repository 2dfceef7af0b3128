"""The notes stage, the ticket bookkeeping and the triggers of iX-Haus plus, over fakes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from app.domain.config import SyncConfig, ranges
from app.domain.conflicts import TWO_WAY_FIELDS, ticket_fields
from app.domain.eligibility.notes import note_key
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.domain.portal import PortalNote, PortalTicket
from app.domain.records import NoteRecord, TicketRecord, TicketTypeRecord, UserRecord
from app.errors import NotFound, SyncNotPossible
from app.sync import tickets
from app.sync.outbound import notes as notes_module
from app.sync.outbound.run import run_outbound
from app.sync.ports import NoteLink, RunCounts
from app.sync.services import Services
from app.sync.stores import TwoWay
from app.sync.tickets import PushResult, SendFailed
from tests.fakes import (
    NOW,
    CountingAdapters,
    FakeArchive,
    FakeConfigs,
    FakeConflicts,
    FakeLedger,
    FakeNoteLinks,
    FakePortal,
    FakePortalActivity,
    FakePortalStates,
    FakeSource,
    fake_contexts,
    fake_services,
)

WRITTEN = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
CONFIG = SyncConfig(object_range=ranges("1001"), ticket_user_no="900")


def ticket(number: int, **fields: object) -> TicketRecord:
    values: dict[str, object] = {
        "type_no": "10",
        "subject": "Heizung fällt aus",
        "object_no": "1001",
        "reported_at": NOW - dt.timedelta(days=3),
        "responsible_user_no": "001",
        "status_no": "1",
        **fields,
    }
    return TicketRecord(number=number, **values)  # type: ignore[arg-type]


def note(note_id: int, ticket_no: int = 1, **fields: object) -> NoteRecord:
    values: dict[str, object] = {
        "created_at": WRITTEN,
        "content": f"Antwort {note_id}",
        "author_user_no": "001",
        **fields,
    }
    return NoteRecord(id=note_id, ticket_no=ticket_no, **values)  # type: ignore[arg-type]


async def push_ticket(services: Services, system: str, number: str) -> PushResult:
    """The ticket trigger as the API calls it: in the system's context."""
    async with services.contexts.use(system) as ctx:
        return await tickets.push_ticket(ctx, number, policy=services.policy, clock=services.clock)


async def push_note(services: Services, system: str, number: str, note_id: str) -> PushResult:
    """The note trigger as the API calls it."""
    async with services.contexts.use(system) as ctx:
        return await tickets.push_note(
            ctx, number, note_id, policy=services.policy, clock=services.clock
        )


@dataclass
class World:
    source: FakeSource
    portal: FakePortal
    configs: FakeConfigs
    services: Services
    links: FakeNoteLinks
    conflicts: FakeConflicts
    activity: FakePortalActivity
    ledger: FakeLedger

    async def run(self) -> RunCounts:
        async with self.services.contexts.use("test") as ctx:
            report = await run_outbound(ctx, run_id=None, now=NOW)
        return report.counts

    def notes_put(self) -> list[RecordKey]:
        return [k for k in self.portal.puts if k.kind is EntityKind.NOTE]

    def note_row(self, note_id: int) -> tuple[str, str | None]:
        entry = self.ledger.rows[("test", note_key(note_id))]
        return entry.state, entry.reason_code


@pytest.fixture
def world() -> World:
    source = FakeSource(
        users=[UserRecord(number="001", email="a@example.org"), UserRecord(number="900")],
        ticket_types=[
            TicketTypeRecord(number="10", name="Schaden"),
            TicketTypeRecord(number="20", name="Aushang", portal_mode="bulletin_board"),
        ],
        tickets=[
            ticket(1),
            ticket(2, type_no="20"),  # a house notice: on the board, no messages (T5)
            ticket(3, object_no="9999"),  # object not enabled: not transferred
        ],
        notes=[
            note(1),
            note(2, internal=True),
            note(3, author_user_no="555"),  # a user casavi does not have
            note(4, source_ref="cv-msg-1"),  # written by the gateway from a casavi message
            note(5, ticket_no=2),
            note(6, ticket_no=3),
            note(7),  # linked as coming from casavi (below)
        ],
    )
    portal = FakePortal()
    configs = FakeConfigs(CONFIG)
    links, conflicts, activity, ledger = (
        FakeNoteLinks(),
        FakeConflicts(),
        FakePortalActivity(),
        FakeLedger(),
    )
    states, archive = FakePortalStates(), FakeArchive()
    two_way = TwoWay(links, conflicts, activity, ledger, archive)
    contexts = fake_contexts(configs, CountingAdapters(source, portal), ledger, states, two_way)
    services = fake_services(contexts, configs=configs)
    links.links["test"] = [
        NoteLink(ticket_number="1", ixhaus_note_id="7", casavi_message_id="cv-7", origin="casavi")
    ]
    return World(source, portal, configs, services, links, conflicts, activity, ledger)


# -- the notes stage of a run -----------------------------------------------------------------
async def test_public_notes_of_transferred_tickets_go_out_once(world: World) -> None:
    # rule N1: author, time and content; the author is casavi staff or the ticket user (C11)
    await world.run()
    assert sorted(world.notes_put()) == [note_key(1), note_key(3)]
    first = world.portal.records[note_key(1)]
    assert isinstance(first, PortalNote)
    assert (first.author_user_no, first.created_at, first.content) == ("001", WRITTEN, "Antwort 1")
    third = world.portal.records[note_key(3)]
    assert isinstance(third, PortalNote)
    assert third.author_user_no == "900"  # rule C11: the note's user is not in casavi
    # Unchanged notes are not sent again (fingerprints in the ledger).
    world.portal.puts.clear()
    await world.run()
    assert world.portal.puts == []


async def test_internal_notes_never_go_out(world: World) -> None:
    # rule N2: internal notes of iX-Haus plus never go to casavi
    await world.run()
    assert note_key(2) not in world.portal.records
    assert world.note_row(2) == ("excluded", "note_internal")


async def test_notes_of_untransferred_tickets_and_house_notices_stay(world: World) -> None:
    await world.run()
    assert world.note_row(5) == ("excluded", "note_ticket_not_transferred")  # rule T5: a post
    assert world.note_row(6) == ("excluded", "note_ticket_not_transferred")


async def test_echo_suppression_outbound(world: World) -> None:
    # A note the gateway wrote from a casavi message is never sent back (source_ref or link).
    await world.run()
    assert world.note_row(4) == ("excluded", "note_from_portal")
    assert world.note_row(7) == ("excluded", "note_from_portal")
    assert note_key(4) not in world.portal.records
    assert note_key(7) not in world.portal.records
    # A message the gateway posts is linked (origin ixhaus) so the inbound side knows it.
    link = await world.links.by_casavi_message("test", note_key(1).reference_id)
    assert link == NoteLink(
        ticket_number="1", ixhaus_note_id="1", casavi_message_id="1", origin="ixhaus"
    )
    assert len(world.links.links["test"]) == 3  # notes 1 and 3, plus note 7's casavi link


async def test_a_note_linked_from_casavi_before_the_run_is_never_linked_twice(
    world: World,
) -> None:
    await world.run()
    await world.run()
    origins = sorted((x.ixhaus_note_id, x.origin) for x in world.links.links["test"])
    assert origins == [("1", "ixhaus"), ("3", "ixhaus"), ("7", "casavi")]


# -- ticket bookkeeping in a run: base and S2 --------------------------------------------------
async def test_a_sent_ticket_stores_its_two_way_fields_as_base(world: World) -> None:
    await world.run()
    record = world.portal.records[RecordKey.ticket(1)]
    assert isinstance(record, PortalTicket)
    base = world.conflicts.bases[("test", "1")]
    assert {k: v for k, v in base.items() if k in TWO_WAY_FIELDS} == ticket_fields(record)
    assert world.conflicts.bases[("test", "1")]["subject"] == "Heizung fällt aus"


async def test_s2_is_reset_when_a_run_sends_a_ticket_changed_in_ixhaus(world: World) -> None:
    # rule S2: both columns reset as soon as staff change the ticket
    await world.run()
    assert world.activity.resets == []  # a first transfer is no staff change
    await world.activity.record("test", TicketNumber(1), NOW, "new message")
    await world.run()
    assert world.activity.resets == []  # unchanged: nothing reset
    world.source.tables["tickets"][0] = ticket(1, subject="Heizung repariert")
    await world.run()
    assert world.activity.resets == [("test", "1")]
    assert ("test", "1") not in world.activity.activity
    assert world.conflicts.bases[("test", "1")]["subject"] == "Heizung repariert"


async def test_s2_survives_the_echo_of_a_casavi_change_applied_to_ixhaus(world: World) -> None:
    # rule S2: a tenant's status change, written into iX-Haus by the inbound side (which
    # moves the base with it), is no staff change: the next run sends it, the columns stay.
    await world.run()
    world.source.tables["tickets"][0] = ticket(1, status_no="2")
    await world.conflicts.set_base("test", TicketNumber(1), {"status": "2"})
    await world.activity.record("test", TicketNumber(1), NOW, "status")
    counts = await world.run()
    assert counts.sent == 1
    assert world.activity.resets == []
    assert world.activity.activity[("test", "1")] == (NOW, "status")
    # A change staff make to a field only iX-Haus has (hint 1) is a staff change.
    world.source.tables["tickets"][0] = ticket(1, status_no="2", hint1="Schlüssel beim Hausmeister")
    await world.run()
    assert world.activity.resets == [("test", "1")]


# -- the triggers ------------------------------------------------------------------------------
async def test_push_ticket_sends_it_and_resets_s2(world: World) -> None:
    # rule S1: the answer says what was done; rule S2: a push is a staff change
    await world.activity.record("test", TicketNumber(1), NOW, "new message")
    result = await push_ticket(world.services, "test", "1")
    assert (result.outcome, result.reason, result.casavi_id) == ("sent", None, "1")
    assert result.portal is not None
    assert result.portal.transferred
    assert world.portal.puts == [RecordKey.ticket(1)]
    assert world.activity.resets == [("test", "1")]
    assert world.conflicts.bases[("test", "1")]["status"] == "1"
    again = await push_ticket(world.services, "test", "1")
    assert again.outcome == "unchanged"
    assert world.portal.puts == [RecordKey.ticket(1)]


async def test_push_ticket_answers_why_not(world: World) -> None:
    # rule S1: the reason a ticket is not transferred
    result = await push_ticket(world.services, "test", "3")
    assert (result.outcome, result.reason) == ("not_sent", "object_not_enabled")
    assert result.portal is not None
    assert result.portal.reason_code == "object_not_enabled"
    assert world.portal.puts == []


async def test_push_ticket_removes_one_that_left_the_portal(world: World) -> None:
    await push_ticket(world.services, "test", "1")
    world.source.tables["tickets"][0] = ticket(1, object_no="9999")
    result = await push_ticket(world.services, "test", "1")
    assert (result.outcome, result.reason) == ("removed", "object_not_enabled")
    assert world.portal.removes == [RecordKey.ticket(1)]


async def test_push_unknown_ticket_or_switched_off_system(world: World) -> None:
    with pytest.raises(NotFound):
        await push_ticket(world.services, "test", "404")
    with pytest.raises(NotFound):
        await push_ticket(world.services, "test", "99999999999")
    world.configs.change("test", active=False)
    with pytest.raises(SyncNotPossible):
        await push_ticket(world.services, "test", "1")


async def test_push_ticket_reports_a_casavi_failure(world: World) -> None:
    world.portal.fail_keys.add(RecordKey.ticket(1))
    with pytest.raises(SendFailed):
        await push_ticket(world.services, "test", "1")
    assert world.ledger.rows[("test", RecordKey.ticket(1))].state == "error"


async def test_push_note_sends_a_staff_reply_at_once(world: World) -> None:
    # rule N1 via the trigger; rule S2: a staff reply resets the columns
    await world.run()
    world.source.tables["notes"].append(note(8, content="Der Techniker kommt morgen."))
    await world.activity.record("test", TicketNumber(1), NOW, "new message")
    result = await push_note(world.services, "test", "1", "8")
    assert (result.outcome, result.note_id, result.casavi_id) == ("sent", "8", "8")
    sent = world.portal.records[note_key(8)]
    assert isinstance(sent, PortalNote)
    assert sent.content == "Der Techniker kommt morgen."
    assert (await world.links.by_ixhaus_note("test", "8")) is not None
    assert world.activity.resets == [("test", "1")]
    again = await push_note(world.services, "test", "1", "8")
    assert again.outcome == "unchanged"
    assert world.notes_put().count(note_key(8)) == 1
    # The next run does not send it again either.
    puts = len(world.portal.puts)
    await world.run()
    assert len(world.portal.puts) == puts


async def test_push_note_answers_why_not(world: World) -> None:
    await world.run()
    internal = await push_note(world.services, "test", "1", "2")
    assert (internal.outcome, internal.reason) == ("not_sent", "note_internal")  # rule N2
    echo = await push_note(world.services, "test", "1", "4")
    assert (echo.outcome, echo.reason) == ("not_sent", "note_from_portal")
    linked = await push_note(world.services, "test", "1", "7")
    assert (linked.outcome, linked.reason) == ("not_sent", "note_from_portal")
    board = await push_note(world.services, "test", "2", "5")
    assert (board.outcome, board.reason) == ("not_sent", "note_ticket_not_transferred")
    assert world.activity.resets == []


async def test_push_note_before_the_ticket_is_in_casavi(world: World) -> None:
    result = await push_note(world.services, "test", "1", "1")
    assert (result.outcome, result.reason) == ("not_sent", "note_ticket_not_transferred")
    assert world.portal.puts == []


async def test_push_note_of_another_ticket_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await push_note(world.services, "test", "3", "1")
    with pytest.raises(NotFound):
        await push_note(world.services, "test", "1", "404")


async def test_an_edited_note_is_offered_again_under_the_same_id(world: World) -> None:
    await world.run()
    world.source.tables["notes"][0] = msgspec.structs.replace(
        world.source.tables["notes"][0], content="Antwort 1 (korrigiert)"
    )
    await world.run()
    # The portal is asked again (casavi keeps the first message: it is written once per id).
    assert world.notes_put().count(note_key(1)) == 2


def test_a_note_message_is_public_with_the_notes_author_and_time() -> None:
    # rule N1: author, time and content; rule N2: always public
    from app.adapters.casavi.mapping import to_ticket_message
    from app.domain.identity import IdentityMap

    record = PortalNote(
        id=5, ticket_no=1, created_at=WRITTEN, content="Hallo", author_user_no="001"
    )
    ticket, message = to_ticket_message(record, note_key(5).reference_id, "001", IdentityMap())
    assert ticket == "1"
    assert (message.id, message.author_id, message.visibility) == ("5", "001", "public")
    assert (message.content, message.written_at) == ("Hallo", WRITTEN)


async def test_a_triggers_answer_is_its_protocol_line(world: World) -> None:
    # rule L2/L3 without a run: what a push answers is exactly the entry it writes
    await world.run()
    world.source.tables["notes"].append(note(8, content="Der Techniker kommt morgen."))
    lines = len(world.ledger.protocol)
    sent = await push_note(world.services, "test", "1", "8")
    assert sent.outcome == "sent"
    (line,) = world.ledger.protocol[lines:]
    assert (line[0], line[1].key, line[1].protocol_outcome) == (None, note_key(8), "sent")
    again = await push_note(world.services, "test", "1", "8")
    assert again.outcome == "unchanged"
    internal = await push_note(world.services, "test", "1", "2")
    assert (internal.outcome, internal.reason) == ("not_sent", "note_internal")
    assert len(world.ledger.protocol) == lines + 1  # unchanged and still excluded: no line


# -- input digests of notes (issue 21) ---------------------------------------------------------
async def test_unchanged_notes_are_not_decided_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await world.run()
    # Note 7 was found an echo by its link (not by what its digest covers): decided once
    # more, then restated with the digest of an echo.
    await world.run()
    calls: list[int] = []
    real = notes_module.outbound_note

    def counted(note: NoteRecord, **kwargs: Any) -> Any:
        calls.append(note.id)
        return real(note, **kwargs)

    monkeypatch.setattr(notes_module, "outbound_note", counted)
    again = await world.run()
    assert calls == []
    assert again.unchanged == first.sent + first.excluded + first.unchanged
    assert again.sent == again.excluded == 0


async def test_a_notes_author_joining_casavi_signs_the_unchanged_note(world: World) -> None:
    await world.run()  # note 3's user 555 is not in casavi: the ticket user signs (C11)
    await world.run()
    world.source.tables["users"].append(UserRecord(number="555"))
    world.portal.puts.clear()
    await world.run()
    assert note_key(3) in world.portal.puts
    third = world.portal.records[note_key(3)]
    assert isinstance(third, PortalNote)
    assert third.author_user_no == "555"


async def test_a_ticket_moving_to_the_board_takes_its_unchanged_notes_out(world: World) -> None:
    await world.run()
    await world.run()
    world.source.tables["tickets"][0] = ticket(1, type_no="20")  # now a house notice (T5)
    await world.run()
    assert note_key(1) in world.portal.removes
    assert world.note_row(1) == ("excluded", "note_ticket_not_transferred")
