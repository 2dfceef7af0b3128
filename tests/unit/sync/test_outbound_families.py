"""Every family the rules decide goes through the outbound run (over in-memory fakes)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.config import Licences, SyncConfig, ranges
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.domain.portal import ContactPayload, PortalAssignment, PortalNote, PortalTicket, PortalUser
from app.domain.reasons import Reason
from app.domain.records import (
    CaretakerRecord,
    ObjectRecord,
    ObjectResponsible,
    ObjectRight,
    OwnerRecord,
    TeamRecord,
    TicketRecord,
    TicketStatusRecord,
    TicketTypeRecord,
    UserRecord,
    WorkOrderRecord,
)
from app.sync.outbound.run import run_outbound
from tests.fakes import NOW, FakeLedger, FakePortal, FakeSource, context_for

CONFIG = SyncConfig(
    object_range=ranges("1001-1002"),
    user_teams=("T1",),
    licences=Licences(komfortpaket=True, owners=True, caretakers=True),
    ticket_user_no="900",
)
OWNER = RecordKey.of(EntityKind.OWNER, "200001")
CARETAKER = RecordKey.of(EntityKind.CARETAKER, "300001")
USER = RecordKey.of(EntityKind.USER, "001")
HEATING = TicketTypeRecord(
    number="11",
    name="Heizung",
    notify_unregistered_by_email=True,
    note_on_commissioning=True,
    note_template="Meldung {ticket_no}: {contractor} beauftragt am {placed_on}.",
)
DAMAGE = TicketTypeRecord(number="10", name="Schadensmeldung")


def source() -> FakeSource:
    objects = [ObjectRecord(number=n, name=f"Haus {n}") for n in ("1001", "1002", "1003")]
    return FakeSource(
        objects=objects,
        owners=[
            # one person owning two enabled objects and one that is not enabled
            OwnerRecord(number="200001", object_no=o, last_name="Eigner", email="e@example.org")
            for o in ("1002", "1001", "1003")
        ],
        caretakers=[CaretakerRecord(number="300001", object_no="1001", last_name="Hausmann")],
        users=[
            UserRecord(number="001", last_name="Meyer", email="meyer@example.org"),
            UserRecord(number="002", last_name="Roth", email="roth@example.org"),
            UserRecord(number="900", last_name="casavi", email="portal@example.org"),
        ],
        teams=[
            TeamRecord(number="T1", name="Technik", member_user_nos=("001",)),
            TeamRecord(number="T4", name="Archiv", member_user_nos=("001",)),  # not enabled
        ],
        object_rights=[
            ObjectRight(object_no="1001", user_no="001", right="write"),
            ObjectRight(object_no="1003", user_no="001", right="read"),  # object not enabled
        ],
        object_responsibles=[
            ObjectResponsible(object_no="1002", user_no="001", role="Objektbetreuer")
        ],
        ticket_types=[HEATING, DAMAGE],
        ticket_statuses=[TicketStatusRecord(number="1", name="Neu")],
        tickets=[
            TicketRecord(
                number=TicketNumber(1),
                type_no="11",
                subject="Heizung fällt aus",
                object_no="1001",
                reported_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
                responsible_user_no="002",
            ),
            TicketRecord(
                number=TicketNumber(2),
                type_no="10",
                subject="Fenster klemmt",
                object_no="1001",
                reported_at=datetime(2026, 6, 2, 9, tzinfo=UTC),
                responsible_user_no="077",  # not a user casavi has
            ),
            TicketRecord(
                number=TicketNumber(3),
                type_no="11",
                subject="Alt",
                object_no="1003",  # object not enabled: the ticket never reaches casavi
                reported_at=datetime(2026, 6, 3, 9, tzinfo=UTC),
            ),
        ],
        work_orders=[
            WorkOrderRecord(
                number=77,
                ticket_no=TicketNumber(1),
                placed_at=datetime(2026, 6, 14, 22, 30, tzinfo=UTC),
                contractor="Wagner GmbH",
            ),
            WorkOrderRecord(number=78, ticket_no=TicketNumber(2), placed_at=NOW),
            WorkOrderRecord(number=79, ticket_no=TicketNumber(3), placed_at=NOW),
            WorkOrderRecord(number=81, ticket_no=TicketNumber(99), placed_at=NOW),  # no such ticket
        ],
    )


async def run(src: FakeSource, config: SyncConfig = CONFIG) -> tuple[FakePortal, FakeLedger]:
    portal, ledger = FakePortal(), FakeLedger()
    ctx = context_for(src, portal, config=config, ledger=ledger)
    counts = (await run_outbound(ctx, run_id=1, now=NOW)).counts
    assert counts.errors == 0
    return portal, ledger


async def test_owners_and_caretakers_are_sent_as_contacts_with_their_enabled_objects() -> None:
    # rule M1: owners; rule M2: caretakers - one contact per person, enabled objects only
    portal, _ = await run(source())
    owner = portal.records[OWNER]
    assert isinstance(owner, ContactPayload)
    assert owner.contact.role == "owner"
    assert owner.object_nos == ("1001", "1002")
    assert owner.contact.object_no == "1001"  # fields from the lowest object's row, every run
    caretaker = portal.records[CARETAKER]
    assert isinstance(caretaker, ContactPayload)
    assert caretaker.contact.role == "caretaker"
    assert caretaker.object_nos == ("1001",)


async def test_owners_and_caretakers_need_their_licence() -> None:
    # rule M1, rule M2: without the licence nothing is sent, and the ledger says why
    config = SyncConfig(object_range=ranges("1001-1002"))
    portal, ledger = await run(source(), config)
    assert OWNER not in portal.records
    assert CARETAKER not in portal.records
    assert ledger.rows[("test", OWNER)].reason_code == Reason.OWNER_LICENCE_MISSING
    assert ledger.rows[("test", CARETAKER)].reason_code == Reason.CARETAKER_LICENCE_MISSING


async def test_rights_responsibles_and_team_membership_become_staff_assignments() -> None:
    # rule M4: object rights and persons responsible; rule M7: team membership (C8 filter)
    portal, _ = await run(source())
    user = portal.records[USER]
    assert isinstance(user, PortalUser)
    write = RecordKey.object_role("right", "write")
    manager = RecordKey.object_role("responsible", "Objektbetreuer")
    team = RecordKey.of(EntityKind.TEAM, "T1")
    assert user.assignments == (
        PortalAssignment(object_no="1001", role=write),
        PortalAssignment(object_no="1001", role=team),
        PortalAssignment(object_no="1002", role=manager),
        PortalAssignment(object_no="1002", role=team),
    )
    # the roles and the team exist in casavi before the user who is assigned in them
    assert {write, manager} <= portal.records.keys()
    order = portal.puts.index
    assert max(order(write), order(manager), order(team)) < order(USER)
    assert RecordKey.of(EntityKind.TEAM, "T4") not in portal.records


async def test_tickets_carry_the_e_mail_notice_option_of_their_type() -> None:
    # rule T7: the type's "notify unregistered contacts by e-mail" travels with the ticket
    portal, _ = await run(source())
    heating, damage = portal.records[RecordKey.ticket(1)], portal.records[RecordKey.ticket(2)]
    assert isinstance(heating, PortalTicket)
    assert isinstance(damage, PortalTicket)
    assert heating.notify_unregistered_by_email is True
    assert damage.notify_unregistered_by_email is False


async def test_commissioning_notes_follow_their_tickets_into_the_portal() -> None:
    # rule T8: the work order's note, from the type's template, on a ticket casavi has
    portal, ledger = await run(source())
    key = RecordKey.of(EntityKind.WORK_ORDER_NOTE, 77)
    note = portal.records[key]
    assert isinstance(note, PortalNote)
    assert note.ticket_no == 1
    assert note.content == "Meldung 1: Wagner GmbH beauftragt am 15.06.2026."  # Berlin date
    assert note.author_user_no == "002"
    assert portal.puts.index(RecordKey.ticket(1)) < portal.puts.index(key)
    # the type does not ask for it / the ticket is not in the portal: nothing is sent
    not_asked = ledger.rows[("test", RecordKey.of(EntityKind.WORK_ORDER_NOTE, 78))]
    assert not_asked.reason_code == Reason.COMMISSIONING_NOTE_NOT_CONFIGURED
    no_ticket = ledger.rows[("test", RecordKey.of(EntityKind.WORK_ORDER_NOTE, 79))]
    assert no_ticket.reason_code == Reason.NOTE_TICKET_NOT_TRANSFERRED
    gone = ledger.rows[("test", RecordKey.of(EntityKind.WORK_ORDER_NOTE, 81))]
    assert gone.reason_code == Reason.NOTE_TICKET_NOT_TRANSFERRED
    assert [k for k in portal.puts if k.kind is EntityKind.WORK_ORDER_NOTE] == [key]


async def test_a_commissioning_note_by_an_unknown_author_is_signed_by_the_ticket_user() -> None:
    # rule T8 with rule C11: casavi needs a staff author it has
    src = source()
    src.tables["work_orders"] = [
        WorkOrderRecord(number=80, ticket_no=TicketNumber(2), placed_at=NOW, contractor="Roth")
    ]
    src.tables["ticket_types"] = [HEATING, TicketTypeRecord(
        number="10", name="Schaden", note_on_commissioning=True)]  # fmt: skip
    portal, _ = await run(src)
    note = portal.records[RecordKey.of(EntityKind.WORK_ORDER_NOTE, 80)]
    assert isinstance(note, PortalNote)
    assert note.author_user_no is None  # user 077 is not in casavi: the adapter signs


async def test_a_second_run_sends_none_of_the_new_families_again() -> None:
    # rule M1, rule M4, rule T8: unchanged records are not sent twice
    src = source()
    portal, ledger = FakePortal(), FakeLedger()
    ctx = context_for(src, portal, config=CONFIG, ledger=ledger)
    await run_outbound(ctx, run_id=1, now=NOW)
    portal.puts.clear()
    again = (await run_outbound(ctx, run_id=2, now=NOW)).counts
    assert (again.sent, again.errors) == (0, 0)
    assert portal.puts == []
