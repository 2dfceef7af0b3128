"""Two-way ticket fields and what happens when a side changes one (conflicts).

A field both systems can change (status, responsible user and team, due dates, subject,
description) keeps a *base*: its value as last synced. A change on one side is measured
against the base:

- only casavi changed it -> apply casavi's value to iX-Haus;
- only iX-Haus changed it -> nothing here (the outbound sync sends it);
- both changed it to the same value -> nothing to decide, the base moves;
- both changed it differently -> a conflict: the configured policy per field decides
  (``ixhaus_wins`` by default: iX-Haus is the master system; ``casavi_wins``; ``manual``
  leaves both as they are until an operator resolves it). Every conflict is recorded.

Values are compared as text (``None`` = empty), the form both sides and the base share.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

from app.domain.portal import PortalTicket

Policy = Literal["ixhaus_wins", "casavi_wins", "manual"]
Action = Literal["none", "apply_casavi", "keep_ixhaus", "await_operator"]

# Field name (also the key of the per-field policy in the configuration) -> PortalTicket field.
TWO_WAY_FIELDS: dict[str, str] = {
    "status": "status_no",
    "responsible_user": "responsible_user_no",
    "responsible_team": "team_no",
    "due_from": "due_from",
    "due_until": "due_until",
    "subject": "subject",
    "description": "description",
}


# The policy for notes written from tenants' messages (an edit in casavi after staff changed
# the note in iX-Haus): a key of the configuration's per-field policies, like the fields above.
NOTES_POLICY = "notes"


def as_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def ticket_fields(ticket: PortalTicket) -> dict[str, str | None]:
    """The two-way fields of a canonical ticket, as text (what the base stores)."""
    return {name: as_text(getattr(ticket, attr)) for name, attr in TWO_WAY_FIELDS.items()}


class FieldDecision(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    action: Action
    conflict: bool
    base: str | None
    ixhaus: str | None
    casavi: str | None
    # What the base becomes once the action is carried out (None: unchanged).
    new_base: str | None = None
    moves_base: bool = False

    @property
    def resolution(self) -> Literal["ixhaus", "casavi"] | None:
        if self.action == "apply_casavi":
            return "casavi"
        if self.action == "keep_ixhaus":
            return "ixhaus"
        return None


def decide_field(
    field: str, *, base: str | None, ixhaus: str | None, casavi: str | None, policy: Policy
) -> FieldDecision:
    """What to do with one field that casavi reports (see the module docstring)."""

    def decision(
        action: Action, conflict: bool, new_base: str | None, moves: bool
    ) -> FieldDecision:
        return FieldDecision(
            field=field,
            action=action,
            conflict=conflict,
            base=base,
            ixhaus=ixhaus,
            casavi=casavi,
            new_base=new_base,
            moves_base=moves,
        )

    if casavi == base:
        return decision("none", False, None, False)  # casavi did not change it
    if ixhaus == base:
        return decision("apply_casavi", False, casavi, True)  # only casavi changed it
    if ixhaus == casavi:
        return decision("none", False, casavi, True)  # both made the same change
    if policy == "casavi_wins":
        return decision("apply_casavi", True, casavi, True)
    if policy == "manual":
        return decision("await_operator", True, None, False)
    return decision("keep_ixhaus", True, ixhaus, True)


def decide_ticket(
    *,
    base: dict[str, str | None],
    ixhaus: dict[str, str | None],
    casavi: dict[str, str | None],
    policies: dict[str, Policy],
) -> list[FieldDecision]:
    """Decide every two-way field casavi reports; a field without a base takes iX-Haus's
    current value as its base (what the portal was last sent)."""
    return [
        decide_field(
            field,
            base=base.get(field, ixhaus.get(field)),
            ixhaus=ixhaus.get(field),
            casavi=value,
            policy=policies.get(field, "ixhaus_wins"),
        )
        for field, value in casavi.items()
        if field in TWO_WAY_FIELDS
    ]
