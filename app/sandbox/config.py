"""The configuration document that matches a sandbox portfolio (demo and tests)."""

from __future__ import annotations

from typing import Any

from app.domain.config import ObjectRange, SyncConfig
from app.sandbox.ixhaus.profiles import sandbox_sync_config


def _ranges(entries: tuple[ObjectRange, ...]) -> list[dict[str, str]]:
    return [{"from": entry.first, "to": entry.last} for entry in entries]


def sandbox_config_patch(profile: str = "small") -> dict[str, Any]:
    """A JSON merge patch that points a system's settings at the sandbox portfolio."""
    config: SyncConfig = sandbox_sync_config(profile)
    return {
        "objects": {
            "range": _ranges(config.object_range),
            "fullHistoryRange": _ranges(config.object_range_full_history),
        },
        "personTypes": list(config.person_types),
        "documentTypes": {
            "withTimeFilter": list(config.document_types_time_filtered),
            "withoutTimeFilter": list(config.document_types_unfiltered),
        },
        "userTeams": list(config.user_teams),
        "licences": {
            "komfortpaket": config.licences.komfortpaket,
            "owners": config.licences.owners,
            "caretakers": config.licences.caretakers,
        },
        "portalAccountLeadDays": config.portal_lead_days,
        "deleteAfterMoveOutDays": config.deletion_days,
        "ticketUserNumber": config.ticket_user_no,
    }
