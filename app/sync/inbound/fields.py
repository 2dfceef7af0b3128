"""Two-way ticket fields from casavi: apply what only casavi changed, decide conflicts by
the configured policy (``app.domain.conflicts``), record them, and move the base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

from app.domain.conflicts import Policy, as_text, decide_ticket
from app.domain.keys import EntityKind, TicketNumber
from app.domain.records import TicketRecord
from app.sync.inbound.errors import Park
from app.sync.ports import CasaviTicketView, NewConflict

if TYPE_CHECKING:
    from app.sync.inbound.handlers import Handlers

Activity = Literal["status", "changed"]


async def casavi_fields(h: Handlers, ticket: CasaviTicketView) -> dict[str, str | None]:
    """casavi's values in iX-Haus terms; a reference iX-Haus does not know is left out."""
    fields: dict[str, str | None] = {
        "subject": as_text(ticket.subject),
        "description": as_text(ticket.description),
        "due_from": as_text(ticket.due_from),
        "due_until": as_text(ticket.due_until),
    }
    for name, kind, value in (
        ("status", EntityKind.TICKET_STATUS, ticket.status_id),
        ("responsible_user", EntityKind.USER, ticket.responsible_staff_id),
        ("responsible_team", EntityKind.TEAM, ticket.responsible_role_id),
    ):
        mapped = await h.optional_reference(kind, value)
        if value is None or mapped is not None:
            fields[name] = mapped
    return fields


async def apply_fields(h: Handlers, number: TicketNumber, ticket: CasaviTicketView) -> str:
    held = await h.writer.ticket(number)
    if held is None:
        raise Park(f"iX-Haus has no ticket {number}")
    policies = cast(dict[str, Policy], h.settings.conflict_policies)
    base = await h.conflicts.base(number)
    theirs = await casavi_fields(h, ticket)
    if not base:
        # No synced value known (a ticket sent before bases were kept): take casavi's
        # values as the base and change nothing - iX-Haus is the master system.
        await h.conflicts.set_base(number, theirs)
        return ""
    decisions = decide_ticket(
        base=base,
        ixhaus=ixhaus_fields(held),
        casavi=theirs,
        policies=policies,
    )
    to_ixhaus = {d.field: d.casavi for d in decisions if d.action == "apply_casavi"}
    to_casavi = {d.field: d.ixhaus for d in decisions if d.action == "keep_ixhaus"}
    await h.writer.update_ticket_fields(number, to_ixhaus)
    if to_casavi:
        # iX-Haus won: casavi gets iX-Haus's value back at once, so the next event does
        # not take casavi's (now stale) value for a change.
        await h.casavi.change_fields(ticket.id, to_casavi)
    open_conflicts = {
        (c.field, c.casavi_value, c.ixhaus_value)
        for c in await h.conflicts.list(open_only=True, limit=1000)
        if c.ticket_number == str(number)
    }
    for d in decisions:
        if not d.conflict or (d.field, d.casavi, d.ixhaus) in open_conflicts:
            continue
        await h.conflicts.add(
            NewConflict(
                ticket_number=str(number),
                field=d.field,
                base_value=d.base,
                ixhaus_value=d.ixhaus,
                casavi_value=d.casavi,
                policy=policies.get(d.field, "ixhaus_wins"),
                resolution=d.resolution,
            ),
        )
    moved = {d.field: d.new_base for d in decisions if d.moves_base}
    if moved:
        await h.conflicts.set_base(number, moved)
    if to_ixhaus:
        what: Activity = "status" if "status" in to_ixhaus else "changed"
        await h.activity.record(number, ticket.modified_at, what)
        return f"fields {sorted(to_ixhaus)}"
    return ""


def ixhaus_fields(ticket: TicketRecord) -> dict[str, str | None]:
    """The two-way fields of an iX-Haus ticket as text (what the base stores)."""
    return {
        "status": as_text(ticket.status_no),
        "responsible_user": as_text(ticket.responsible_user_no),
        "responsible_team": as_text(ticket.team_no),
        "due_from": as_text(ticket.due_from),
        "due_until": as_text(ticket.due_until),
        "subject": as_text(ticket.subject),
        "description": as_text(ticket.description),
    }
