"""A tenant's message edited in casavi (N1): the iX-Haus note follows, unless staff changed
the note too - then it is a conflict, decided by the ``notes`` policy like a ticket field.

The base of each note written from a casavi message is its content as both sides agreed on
it (kept with the ticket's field bases as ``note:<id>``). casavi changed the message when its
content differs from the base; staff changed the note when the note's content does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from app.domain.conflicts import NOTES_POLICY, Policy, decide_field
from app.domain.keys import TicketNumber
from app.sync.ports import CasaviMessageView, NewConflict, NoteLink

if TYPE_CHECKING:
    from app.sync.inbound.handlers import Handlers

_PREFIX = "note:"


def note_field(note_id: int | str) -> str:
    """The base's (and a conflict's) field name of a note written from a casavi message."""
    return f"{_PREFIX}{note_id}"


def note_of_field(field: str) -> int | None:
    """The note id a conflict field names (None: a ticket field)."""
    if field.startswith(_PREFIX) and field[len(_PREFIX) :].isdigit():
        return int(field[len(_PREFIX) :])
    return None


class ListedNotes:
    """What the gateway knows of a ticket's listed messages, read once for the whole
    listing: their note links (one query) and the ticket's bases (one read, when the first
    linked message is compared). A poll lists every message of a changed ticket; reading
    both per message made a busy ticket's event cost two queries per message it ever had.

    A message not linked at the read is looked up again before a note is written for it
    (``Handlers.message``): a link recorded meanwhile is seen, no note is written twice."""

    def __init__(self, links: dict[str, NoteLink]) -> None:
        self.links = links
        self._bases: dict[str, str | None] | None = None

    @classmethod
    async def read(cls, h: Handlers, message_ids: Sequence[str]) -> ListedNotes:
        return cls(await h.note_links.by_casavi_messages(message_ids))

    async def base(self, h: Handlers, number: TicketNumber, field: str) -> str | None:
        if self._bases is None:
            self._bases = await h.conflicts.base(number)
        return self._bases.get(field)

    async def set_base(
        self, h: Handlers, number: TicketNumber, field: str, value: str | None
    ) -> None:
        await h.conflicts.set_base(number, {field: value})
        if self._bases is not None:
            self._bases[field] = value


async def edited_message(
    h: Handlers,
    number: TicketNumber,
    note_id: int,
    message: CasaviMessageView,
    listed: ListedNotes | None = None,
) -> str:
    ticket = str(number)  # as the conflicts list it
    field = note_field(note_id)
    known = listed or ListedNotes({})
    base = await known.base(h, number, field)
    if base is None:
        # Linked before bases were kept: what casavi shows now is the agreed content.
        await known.set_base(h, number, field, message.content)
        return ""
    if message.content == base:
        return ""
    note = await h.writer.note(note_id)
    if note is None:
        return f"note {note_id} is gone from iX-Haus"
    policies = cast(dict[str, Policy], h.settings.conflict_policies)
    decision = decide_field(
        field,
        base=base,
        ixhaus=note.content,
        casavi=message.content,
        policy=policies.get(NOTES_POLICY, "ixhaus_wins"),
    )
    if decision.action == "apply_casavi" and decision.casavi is not None:
        await h.writer.update_note(note_id, decision.casavi)
        at = message.edited_at or message.written_at
        await h.activity.record(number, at, "message edited")
    if decision.conflict:
        open_conflicts = {
            (c.field, c.casavi_value, c.ixhaus_value)
            for c in await h.conflicts.list(open_only=True, limit=1000)
            if c.ticket_number == ticket
        }
        if (field, decision.casavi, decision.ixhaus) not in open_conflicts:
            await h.conflicts.add(
                NewConflict(
                    ticket_number=ticket,
                    field=field,
                    base_value=decision.base,
                    ixhaus_value=decision.ixhaus,
                    casavi_value=decision.casavi,
                    policy=policies.get(NOTES_POLICY, "ixhaus_wins"),
                    resolution=decision.resolution,
                ),
            )
    if decision.moves_base:
        await known.set_base(h, number, field, decision.new_base)
    if decision.action == "apply_casavi":
        return f"note {note_id} edited"
    return f"note {note_id}: conflict ({decision.action})" if decision.conflict else ""
