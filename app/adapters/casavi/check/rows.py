"""The live contract check's table: one row per casavi operation the gateway uses, with what
the contract says of it (provenance, source), what casavi answered, how the answer deviates,
and what the gateway will do about it (works / degraded: feature / blocked: feature)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from app.adapters.casavi.contract import operations

# operation -> (feature it serves, whether the feature stops without it)
MASTER = "master data (M1-M7)"
ADOPT = "adopting records casavi already holds"
REMOVE = "removing records"
REFERENCE = "ticket types, statuses, priorities (T1-T3)"
FEATURES: dict[str, tuple[str, bool]] = {
    "authenticate": ("everything", True),
    **{f"create{n}": (MASTER, True) for n in ("Property", "Unit", "Contact", "Staff", "StaffRole")},
    **{f"update{n}": (MASTER, True) for n in ("Property", "Unit", "Contact", "Staff", "StaffRole")},
    **{f"get{n}": (ADOPT, False) for n in ("Property", "Unit", "Contact", "Staff", "StaffRole")},
    **{
        f"delete{n}": (REMOVE, False) for n in ("Property", "Unit", "Contact", "Staff", "StaffRole")
    },
    **{f"create{n}": (REFERENCE, True) for n in ("TicketType", "TicketStatus", "TicketPriority")},
    **{f"update{n}": (REFERENCE, True) for n in ("TicketType", "TicketStatus", "TicketPriority")},
    **{f"get{n}": (ADOPT, False) for n in ("TicketType", "TicketStatus", "TicketPriority")},
    **{f"delete{n}": (REMOVE, False) for n in ("TicketType", "TicketStatus", "TicketPriority")},
    "createTicket": ("tickets to casavi (T3)", True),
    "updateTicket": ("tickets to casavi (T3) and two-way fields", True),
    "closeTicket": ("closing tickets (T4)", True),
    "deleteTicket": ("ticket removal", False),
    "listTickets": ("inbound poll (T10)", True),
    "getTicket": ("inbound: tenants' tickets (T10)", True),
    "createTicketMessage": ("notes to casavi (N1)", True),
    "updateTicketMessage": ("edited notes", False),
    "listTicketMessages": ("inbound: tenants' messages", True),
    "getTicketMessage": ("inbound: tenants' messages", True),
    "listTicketAttachments": ("inbound: tenants' attachments", False),
    "downloadDocument": ("inbound: tenants' attachments", False),
    "uploadDocument": ("documents (D1-D6)", True),
    "getDocument": ("documents (D1-D6)", False),
    "deleteDocument": (REMOVE, False),
    "createPost": ("bulletin board (T5)", True),
    "getPost": (ADOPT, False),
    "deletePost": ("bulletin board (T5)", False),
}
DOCUMENTS_FEATURES = {"documents (D1-D6)"}
CALLBACKS = "callbacks (optional fast path)"

Action = Literal["works", "degraded", "blocked", "not probed"]
_NAMED = re.compile(r"^(?P<prefix>(?:[\w\[\]]+\.)*)(?P<name>\w+) (?P<kind>missing|extra)$")


@dataclass
class Row:
    operation: str
    method: str
    path: str
    provenance: str
    source: str
    against: str | None
    feature: str
    essential: bool
    status: str = "not probed"
    http_status: int | None = None
    issues: list[str] = field(default_factory=list)
    note: str = ""
    probed: bool = False
    unavailable: bool = False

    @property
    def breaking(self) -> list[str]:
        """Issues that make the wire Structs fail: missing fields, other types, values."""
        return [i for i in self.issues if not i.endswith(" extra")]

    @property
    def action(self) -> Action:
        if not self.probed:
            return "not probed"
        refused = self.http_status is not None and not 200 <= self.http_status < 300
        if self.unavailable or refused or self.breaking:
            return "blocked" if self.essential else "degraded"
        return "works"

    @property
    def verdict(self) -> str:
        action = self.action
        if action in ("blocked", "degraded"):
            return f"{action}: {self.feature}"
        if action == "works" and self.issues:
            return "works (extra fields ignored)"
        return action

    def deviations(self) -> list[str]:
        """The issues with a hint where a field looks renamed (one missing, one extra)."""
        missing: dict[str, list[str]] = {}
        extra: dict[str, list[str]] = {}
        rest: list[str] = []
        for issue in self.issues:
            found = _NAMED.match(issue)
            if found is None:
                rest.append(issue)
            elif found.group("kind") == "missing":
                missing.setdefault(found.group("prefix"), []).append(found.group("name"))
            else:
                extra.setdefault(found.group("prefix"), []).append(found.group("name"))
        named = []
        for prefix in dict.fromkeys([*missing, *extra]):
            gone, new = missing.get(prefix, []), extra.get(prefix, [])
            if len(gone) == 1 and len(new) == 1:
                named.append(f"{prefix}{gone[0]} missing, {prefix}{new[0]} extra (renamed?)")
                continue
            named += [f"{prefix}{n} missing" for n in gone] + [f"{prefix}{n} extra" for n in new]
        return named + rest

    def as_dict(self) -> dict[str, object]:
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "provenance": self.provenance,
            "source": self.source,
            "evidenceAgainst": self.against,
            "feature": self.feature,
            "status": self.status,
            "httpStatus": self.http_status,
            "deviations": self.deviations(),
            "note": self.note,
            "action": self.action,
            "verdict": self.verdict,
        }


def new_rows() -> dict[str, Row]:
    rows = {}
    for op_id, (feature, essential) in FEATURES.items():
        op = operations()[op_id]
        rows[op_id] = Row(
            op_id,
            op.method,
            op.path,
            op.provenance,
            op.source,
            op.against,
            feature,
            essential,
        )
    return rows


def needed(feature: str, *, documents: bool) -> bool:
    """Whether a system's settings need ``feature`` (documents only where configured)."""
    return documents or feature not in DOCUMENTS_FEATURES
