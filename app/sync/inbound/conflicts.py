"""Resolving a recorded conflict: an operator picks iX-Haus's value, casavi's, or a value
of their own. The chosen value is written to both sides (iX-Haus and casavi) and becomes
the field's base, so neither side's old value reads as a change afterwards."""

from __future__ import annotations

from app.domain.keys import RecordKey, TicketNumber
from app.errors import Conflict, NotFound
from app.sync.context import SystemContext
from app.sync.inbound.notes import note_of_field
from app.sync.ports import ConflictRecord, ConflictSide
from app.sync.stores import two_way_of


async def resolve_conflict(
    ctx: SystemContext,
    conflict_id: int,
    *,
    side: ConflictSide,
    value: str | None,
    actor: str,
) -> ConflictRecord:
    two_way = two_way_of(ctx.stores)
    found = await two_way.conflicts.get(conflict_id)
    if found is None:
        raise NotFound(f"Conflict {conflict_id} does not exist.")
    if found.resolution is not None:
        raise Conflict(f"Conflict {conflict_id} is resolved already ({found.resolution}).")
    chosen = {"ixhaus": found.ixhaus_value, "casavi": found.casavi_value}.get(side, value)
    number = TicketNumber(int(found.ticket_number))  # the conflict keeps it as text
    fields = {found.field: chosen}
    note_id = note_of_field(found.field)
    if ctx.writer is None:
        raise Conflict("No ticket user (rule C11) is set: iX-Haus cannot be written.")
    if note_id is not None:
        # A note written from a tenant's message: the note takes the chosen text; the
        # tenant's message in casavi stays as the tenant wrote it.
        if chosen is None:
            raise Conflict("A note cannot be emptied; choose a text.")
        await ctx.writer.update_note(note_id, chosen)
    else:
        await ctx.writer.update_ticket_fields(number, fields)
        entry = await two_way.links.entry(RecordKey.ticket(number))
        if ctx.casavi is not None and entry is not None and entry.casavi_id:
            await ctx.casavi.change_fields(entry.casavi_id, fields)
    await two_way.conflicts.set_base(number, fields)
    resolved = await two_way.conflicts.resolve(conflict_id, side=side, value=chosen, actor=actor)
    if resolved is None:  # deleted meanwhile
        raise NotFound(f"Conflict {conflict_id} does not exist.")
    return resolved
