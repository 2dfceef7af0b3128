"""Portfolio sizes and the sync configuration the sandbox data is built around.

The last object of every portfolio is outside the object range, the first object has the
full ticket history (C4), team "T4" is a disabled team, type "GEWERBE" a disabled person type.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.config import Licences, SyncConfig, ranges

TICKET_USER_NO = "900"  # C11: "Serviceportal casavi" user of the sandbox
FIRST_OBJECT_NO = 1001

# Ticket types (T4-T8), statuses and priorities (T9) of the sandbox catalogue.
TYPE_DAMAGE, TYPE_HEATING, TYPE_LOCKED, TYPE_BULLETIN, TYPE_NOTICE = "10", "11", "90", "91", "92"
STATUS_NEW, STATUS_WORK, STATUS_DONE, STATUS_CANCELLED = "1", "2", "8", "9"
DOC_LEASE, DOC_STATEMENT, DOC_CIRCULAR, DOC_MINUTES, DOC_INTERNAL = "MV", "NKA", "RS", "PROT", "INT"
ENABLED_TEAMS = ("T1", "T2", "T3")
DISABLED_TEAM = "T4"


@dataclass(frozen=True)
class ProfileSpec:
    objects: int
    units_per_object: int
    persons: int
    contracts: int
    tickets: int
    notes: int
    documents: int
    users: int

    @property
    def units(self) -> int:
        return self.objects * self.units_per_object


PROFILES: dict[str, ProfileSpec] = {
    "small": ProfileSpec(4, 8, 80, 40, 60, 120, 60, 8),
    "medium": ProfileSpec(40, 50, 4000, 2400, 1200, 8000, 4000, 30),
    "large": ProfileSpec(1000, 50, 100_000, 60_000, 30_000, 200_000, 100_000, 120),
}


def object_number(index: int) -> str:
    return str(FIRST_OBJECT_NO + index)


def sandbox_sync_config(profile: str = "small") -> SyncConfig:
    """The configuration the sandbox edges are designed against (demo and tests)."""
    spec = PROFILES[profile]
    last_enabled = object_number(spec.objects - 2)
    return SyncConfig(
        object_range=ranges(f"{object_number(0)}-{last_enabled}"),
        object_range_full_history=ranges(object_number(0)),
        person_types=("MIETER", "EIGENTUEMER"),
        document_types_time_filtered=(DOC_STATEMENT, DOC_CIRCULAR, DOC_MINUTES),
        document_types_unfiltered=(DOC_LEASE,),
        user_teams=ENABLED_TEAMS,
        licences=Licences(komfortpaket=True, owners=True, caretakers=True),
        portal_lead_days=14,
        deletion_days=90,
        ticket_user_no=TICKET_USER_NO,
    )
