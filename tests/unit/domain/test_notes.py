"""Notes: internal notes never cross (N2)."""

from datetime import UTC, datetime

import msgspec

from app.domain.decisions import Exclude, Transfer
from app.domain.eligibility.notes import decide_note, inbound_note_reason
from app.domain.keys import RecordKey, TicketNumber
from app.domain.reasons import Reason
from app.domain.records import NoteRecord

K = RecordKey.parse

NOTE = NoteRecord(
    id=5,
    ticket_no=TicketNumber(1),
    created_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
    content="Handwerker kommt am Donnerstag.",
    author_user_no="004",
)


def test_public_note_of_transferred_ticket_is_sent_with_author_time_content() -> None:
    decision = decide_note(NOTE, ticket_transferred=True)
    assert isinstance(decision, Transfer)
    assert decision.record.author_user_no == "004"
    assert decision.record.created_at == NOTE.created_at
    assert decision.record.content == NOTE.content


def test_internal_ixhaus_note_never_goes_to_casavi() -> None:
    # rule N2: internal notes of iX-Haus plus are never sent
    internal = msgspec.structs.replace(NOTE, internal=True)
    assert decide_note(internal, ticket_transferred=True) == Exclude(
        key=K("note:5"), reason=Reason.NOTE_INTERNAL
    )


def test_internal_casavi_note_never_comes_to_ixhaus() -> None:
    # rule N2: internal notes of casavi never come to iX-Haus
    assert inbound_note_reason(internal=True) is Reason.NOTE_INTERNAL
    assert inbound_note_reason(internal=False) is None


def test_note_of_untransferred_ticket_stays() -> None:
    assert decide_note(NOTE, ticket_transferred=False) == Exclude(
        key=K("note:5"), reason=Reason.NOTE_TICKET_NOT_TRANSFERRED
    )
