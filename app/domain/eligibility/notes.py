"""Ticket notes (rules N1, N2)."""

from __future__ import annotations

from app.domain.decisions import Decision, Exclude, Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PortalNote
from app.domain.reasons import Reason
from app.domain.records import NoteRecord


def note_key(note_id: int) -> RecordKey:
    return RecordKey.of(EntityKind.NOTE, note_id)


def decide_note(note: NoteRecord, *, ticket_transferred: bool) -> Decision[PortalNote]:
    key = note_key(note.id)
    if note.internal:
        return Exclude(key=key, reason=Reason.NOTE_INTERNAL)  # N2: never to casavi
    if not ticket_transferred:
        return Exclude(key=key, reason=Reason.NOTE_TICKET_NOT_TRANSFERRED)
    record = PortalNote(
        id=note.id,
        ticket_no=note.ticket_no,
        created_at=note.created_at,
        content=note.content,
        author_user_no=note.author_user_no,
    )
    return Transfer(key=key, record=record)


def inbound_note_reason(*, internal: bool) -> Reason | None:
    """N2: casavi's internal notes never come to iX-Haus."""
    return Reason.NOTE_INTERNAL if internal else None
