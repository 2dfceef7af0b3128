"""Tickets: T1-T9 with C3/C4 (object ranges), C8 (teams) and C11 (ticket user)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.config import Licences, SyncConfig, ranges
from app.domain.decisions import Delete, Exclude, Transfer
from app.domain.eligibility.tickets import (
    commissioning_note,
    decide_priority,
    decide_status,
    decide_ticket,
    decide_ticket_type,
    inbound_ticket_type_reason,
    notification_channel,
    ticket_user_reason,
)
from app.domain.keys import RecordKey, TicketNumber
from app.domain.reasons import Reason
from app.domain.records import (
    TicketPriorityRecord,
    TicketRecord,
    TicketStatusRecord,
    TicketTypeRecord,
    UserRecord,
    WorkOrderRecord,
)

K = RecordKey.parse

NOW = datetime(2026, 6, 15, 10, tzinfo=UTC)
BOUNDARY = datetime(2024, 12, 31, 23, tzinfo=UTC)
CONFIG = SyncConfig(
    object_range=ranges("1001-1009"),
    object_range_full_history=ranges("1010"),
    user_teams=("T1", "T2"),
    licences=Licences(komfortpaket=True),
    ticket_user_no="900",
)
NORMAL = TicketTypeRecord(number="10", name="Schadensmeldung")
LOCKED = TicketTypeRecord(number="90", name="Serviceportal – Sperre", portal_mode="locked")
BULLETIN = TicketTypeRecord(number="91", name="Hausmitteilung", portal_mode="bulletin_board")
NOTICE = TicketTypeRecord(number="92", name="Objektmeldung", portal_mode="object_notice")


def ticket(**kw: object) -> TicketRecord:
    base: dict[str, object] = {
        "number": 1,
        "type_no": "10",
        "subject": "Heizung fällt aus",
        "object_no": "1001",
        "reported_at": NOW - timedelta(days=3),
        "status_no": "2",
        "team_no": "T1",
    }
    base.update(kw)
    return TicketRecord(**base)  # type: ignore[arg-type]


def test_first_export_sends_only_open_tickets_of_enabled_objects() -> None:
    # rule T1: first export - all open (neither closed nor cancelled) tickets
    assert isinstance(decide_ticket(ticket(), NORMAL, CONFIG, NOW, first_export=True), Transfer)
    for ended in ({"closed_at": NOW - timedelta(days=1)}, {"cancelled_at": NOW}):
        decision = decide_ticket(ticket(**ended), NORMAL, CONFIG, NOW, first_export=True)
        assert decision == Exclude(key=K("ticket:1"), reason=Reason.TICKET_NOT_OPEN)
    other = decide_ticket(ticket(object_no="2000"), NORMAL, CONFIG, NOW, first_export=True)
    assert other == Exclude(key=K("ticket:1"), reason=Reason.OBJECT_NOT_ENABLED)


@pytest.mark.parametrize(
    ("team", "expected"), [("T1", Transfer), ("T2", Transfer), (None, Transfer), ("T4", Exclude)]
)
def test_only_enabled_teams_or_no_team(team: str | None, expected: type) -> None:
    # rule T2 / rule C8: with teams enabled, only their tickets or those without a team
    assert isinstance(decide_ticket(ticket(team_no=team), NORMAL, CONFIG, NOW), expected)


def test_team_filter_ignored_without_komfortpaket() -> None:
    # rule C8: the team selection needs the Komfortpaket licence
    config = SyncConfig(object_range=ranges("1001"), user_teams=("T1",))
    assert isinstance(decide_ticket(ticket(team_no="T4"), NORMAL, config, NOW), Transfer)


def test_all_t3_fields_are_carried() -> None:
    # rule T3: number, type, subject, description, hints, reporter, trade, date, object,
    # unit, technical object, responsible user and team, due from/until
    full = ticket(
        description="Seit gestern kalt", hint1="Schlüssel beim Hausmeister", hint2="ab 8 Uhr",
        reporter_person_no="100001", trade="Heizung/Sanitär", unit_no="003",
        technical_object="Heizungsanlage", responsible_user_no="004",
        due_from=date(2026, 6, 15), due_until=date(2026, 6, 29), priority_no="3",
    )  # fmt: skip
    decision = decide_ticket(full, NORMAL, CONFIG, NOW)
    assert isinstance(decision, Transfer)
    rec = decision.record
    got = (rec.number, rec.type_no, rec.subject, rec.description, rec.hint1, rec.hint2,
           rec.reporter_person_no, rec.trade, rec.reported_at, rec.object_no, rec.unit_no,
           rec.technical_object, rec.responsible_user_no, rec.team_no, rec.due_from,
           rec.due_until, rec.status_no)  # fmt: skip
    assert got == (
        1, "10", "Heizung fällt aus", "Seit gestern kalt", "Schlüssel beim Hausmeister",
        "ab 8 Uhr", "100001", "Heizung/Sanitär", full.reported_at, "1001", "003",
        "Heizungsanlage", "004", "T1", date(2026, 6, 15), date(2026, 6, 29), "2",
    )  # fmt: skip
    assert (rec.kind, rec.audience, rec.closed) == ("normal", "reporter", False)


def test_unknown_ticket_type_is_a_warning() -> None:
    # rule T3: every ticket needs its type; without it the ticket is excluded with a reason
    # an operator must act on
    decision = decide_ticket(ticket(), None, CONFIG, NOW)
    assert isinstance(decision, Exclude)
    assert decision.severity == "warning"


def test_lock_type_is_never_synchronised() -> None:
    # rule T4: "Serviceportal – Sperre"
    for first in (True, False):
        decision = decide_ticket(ticket(), LOCKED, CONFIG, NOW, first_export=first)
        assert decision == Exclude(key=K("ticket:1"), reason=Reason.TICKET_TYPE_LOCKED)
    assert isinstance(decide_ticket_type(LOCKED), Exclude)
    assert inbound_ticket_type_reason(LOCKED) is Reason.TICKET_TYPE_NOT_FOR_TENANTS


def test_bulletin_board_without_status_and_removed_when_closed() -> None:
    # rule T5: house notices go to the board without status; closing removes them
    posted = decide_ticket(ticket(type_no="91", status_no="2"), BULLETIN, CONFIG, NOW)
    assert isinstance(posted, Transfer)
    assert posted.record.status_no is None
    assert posted.record.audience == "object"
    closed = decide_ticket(ticket(type_no="91", closed_at=NOW), BULLETIN, CONFIG, NOW)
    assert closed == Delete(key=K("ticket:1"), reason=Reason.BULLETIN_CLOSED)


def test_object_notice_goes_to_the_whole_object_and_not_from_tenants() -> None:
    # rule T6: object notices go to everybody in the object; tenants cannot create them
    decision = decide_ticket(ticket(type_no="92"), NOTICE, CONFIG, NOW)
    assert isinstance(decision, Transfer)
    assert (decision.record.kind, decision.record.audience) == ("object_notice", "object")
    assert decision.record.status_no == "2"
    assert inbound_ticket_type_reason(NOTICE) is Reason.TICKET_TYPE_NOT_FOR_TENANTS
    assert inbound_ticket_type_reason(BULLETIN) is Reason.TICKET_TYPE_NOT_FOR_TENANTS
    assert inbound_ticket_type_reason(NORMAL) is None
    assert inbound_ticket_type_reason(None) is Reason.TICKET_TYPE_UNKNOWN


@pytest.mark.parametrize(
    ("option", "portal_user", "email", "channel"),
    [
        (True, True, "a@example.org", "portal"),
        (True, False, "a@example.org", "email"),
        (True, False, None, "none"),
        (False, False, "a@example.org", "none"),
        (False, True, None, "portal"),
    ],
)
def test_unregistered_contacts_notified_by_email(
    option: bool, portal_user: bool, email: str | None, channel: str
) -> None:
    # rule T7: contacts with e-mail who are no portal users get an e-mail
    ttype = TicketTypeRecord(number="10", name="Schaden", notify_unregistered_by_email=option)
    assert notification_channel(ttype, portal_user=portal_user, email=email) == channel


def test_commissioning_creates_a_portal_note_from_the_template() -> None:
    # rule T8: a work order placed for the ticket creates a templated portal note
    ttype = TicketTypeRecord(
        number="11", name="Heizung", note_on_commissioning=True,
        note_template=(
            "Meldung {ticket_no} ({subject}): {contractor} beauftragt am {placed_on}. {x}"
        ),
    )  # fmt: skip
    order = WorkOrderRecord(
        number=77, ticket_no=TicketNumber(1), placed_at=datetime(2026, 6, 16, 8, tzinfo=UTC),
        contractor="Wagner Sanitär GmbH",
    )  # fmt: skip
    note = commissioning_note(ticket(responsible_user_no="004"), ttype, order)
    assert note is not None
    assert note.key == K("work_order_note:77")
    assert note.record.content == (
        "Meldung 1 (Heizung fällt aus): Wagner Sanitär GmbH beauftragt am 16.06.2026. {x}"
    )
    assert note.record.author_user_no == "004"
    assert commissioning_note(ticket(), NORMAL, order) is None


def test_commissioning_note_dates_the_order_in_the_berlin_calendar() -> None:
    # rule T8: an order placed at 00:15 Berlin time (22:15 UTC the day before) is dated
    # on the Berlin day in the note
    ttype = TicketTypeRecord(
        number="11", name="Heizung", note_on_commissioning=True, note_template="am {placed_on}"
    )
    order = WorkOrderRecord(
        number=78, ticket_no=TicketNumber(1), placed_at=datetime(2026, 6, 15, 22, 15, tzinfo=UTC)
    )
    note = commissioning_note(ticket(), ttype, order)
    assert note is not None
    assert note.record.content == "am 16.06.2026"


@pytest.mark.parametrize("kind", ["closed", "cancelled"])
def test_a_ticket_ended_by_its_status_without_a_date_is_not_open(kind: str) -> None:
    # rule T1: open = neither closed nor cancelled; the status record's kind counts too
    ended = ticket(status_no="8", status_kind=kind)
    assert ended.closed_at is None
    assert ended.cancelled_at is None
    assert not ended.is_open
    first = decide_ticket(ended, NORMAL, CONFIG, NOW, first_export=True)
    assert first == Exclude(key=K("ticket:1"), reason=Reason.TICKET_NOT_OPEN)
    later = decide_ticket(ended, NORMAL, CONFIG, NOW)  # sent before: the portal learns of it
    assert isinstance(later, Transfer)
    assert later.record.closed
    assert ticket(status_no="2", status_kind="open").is_open
    assert ticket(status_no="2", status_kind=None).is_open


def test_reference_data_is_synchronised() -> None:
    # rule T9: ticket types, statuses and priorities (number, name, type)
    status = TicketStatusRecord(number="8", name="Erledigt", kind="closed")
    prio = TicketPriorityRecord(number="4", name="kritisch", kind="kritisch")
    assert decide_status(status) == Transfer(key=K("ticket_status:8"), record=status)
    assert decide_priority(prio) == Transfer(key=K("ticket_priority:4"), record=prio)
    assert decide_ticket_type(NORMAL) == Transfer(key=K("ticket_type:10"), record=NORMAL)


@pytest.mark.parametrize(
    ("ended_at", "expected"),
    [
        (BOUNDARY - timedelta(seconds=1), Exclude),
        (BOUNDARY, Transfer),
        (NOW - timedelta(days=1), Transfer),
    ],
)
def test_c3_objects_send_tickets_open_since_previous_year(
    ended_at: datetime, expected: type
) -> None:
    # rule C3: of C3 objects only tickets open since the start of the previous year
    decision = decide_ticket(ticket(closed_at=ended_at), NORMAL, CONFIG, NOW)
    assert isinstance(decision, expected)
    if isinstance(decision, Transfer):
        assert decision.record.closed is True
    else:
        assert decision.reason is Reason.TICKET_ENDED_BEFORE_PREVIOUS_YEAR


@given(st.integers(min_value=-5 * 365 * 86400, max_value=365 * 86400))
def test_c3_boundary_property(offset_seconds: int) -> None:
    # rule C3 (property): a closed ticket goes out iff closed at/after the boundary
    decision = decide_ticket(
        ticket(cancelled_at=BOUNDARY + timedelta(seconds=offset_seconds)), NORMAL, CONFIG, NOW
    )
    assert isinstance(decision, Transfer) is (offset_seconds >= 0)


def test_full_history_objects_send_old_closed_tickets_too() -> None:
    # rule C4: complete ticket history, even on the first export
    old = ticket(object_no="1010", closed_at=BOUNDARY - timedelta(days=900))
    assert isinstance(decide_ticket(old, NORMAL, CONFIG, NOW), Transfer)
    assert isinstance(decide_ticket(old, NORMAL, CONFIG, NOW, first_export=True), Transfer)
    assert isinstance(decide_ticket(old, LOCKED, CONFIG, NOW), Exclude)


@pytest.mark.parametrize(
    ("config", "users", "reason"),
    [
        (SyncConfig(), {}, Reason.TICKET_USER_NOT_CONFIGURED),
        (SyncConfig(ticket_user_no="900"), {}, Reason.TICKET_USER_UNKNOWN),
        (SyncConfig(ticket_user_no="900"),
         {"900": UserRecord(number="900", active=False)}, Reason.TICKET_USER_UNKNOWN),
        (SyncConfig(ticket_user_no="900"),
         {"900": UserRecord(number="900", plus_rights=False)}, Reason.TICKET_USER_WITHOUT_RIGHTS),
        (SyncConfig(ticket_user_no="900"), {"900": UserRecord(number="900")}, None),
    ],
)  # fmt: skip
def test_ticket_user_must_exist_and_have_rights(
    config: SyncConfig, users: dict[str, UserRecord], reason: Reason | None
) -> None:
    # rule C11: three-digit ticket user that exists and has iX-Haus plus rights
    assert ticket_user_reason(config, users) is reason
