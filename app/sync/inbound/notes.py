"""A tenant's message edited in casavi (N1): the iX-Haus note follows, unless staff changed
the note too - then it is a conflict, decided by the ``notes`` policy like a ticket field.

The base of each note written from a casavi message is its content as both sides agreed on
it (kept with the ticket's field bases as ``note:<id>``). casavi changed the message when its
content differs from the base; staff changed the note when the note's content does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from app.domain.conflicts import NOTES_POLICY, Policy, decide_field
from app.domain.keys import TicketNumber
from app.sync.ports import CasaviMessageView, NewConflict

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


async def edited_message(
    h: Handlers, number: TicketNumber, note_id: int, message: CasaviMessageView
) -> str:
    ticket = str(number)  # as the conflicts list it
    field = note_field(note_id)
    base = (await h.conflicts.base(number)).get(field)
    if base is None:
        # Linked before bases were kept: what casavi shows now is the agreed content.
        await h.conflicts.set_base(number, {field: message.content})
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
        await h.conflicts.set_base(number, {field: decision.new_base})
    if decision.action == "apply_casavi":
        return f"note {note_id} edited"
    return f"note {note_id}: conflict ({decision.action})" if decision.conflict else ""
