"""A system's settings document, typed once: ``system_settings`` builds the one
``SystemSettings`` of a configuration version, with the views the flows read - the transfer
rules' ``SyncConfig`` and the inbound flow's ``InboundSettings``."""

from __future__ import annotations

from app.configuration.document import ConfigDocument, ObjectRange, System
from app.domain.config import ObjectRange as DomainRange
from app.domain.config import SyncConfig
from app.domain.conflicts import NOTES_POLICY, TWO_WAY_FIELDS
from app.sync.ports.records import InboundSettings, SystemSecrets, SystemSettings


def system_settings(
    system: System,
    version: int,
    document: ConfigDocument,
    secrets: SystemSecrets,
    *,
    config: SyncConfig | None = None,
) -> SystemSettings:
    """The one conversion of a stored document (``config``: the tests' own rules)."""
    return SystemSettings(
        system=system,
        version=version,
        document=document,
        secrets=secrets,
        config=config or to_sync_config(document),
        inbound=to_inbound_settings(document),
    )


def to_inbound_settings(doc: ConfigDocument) -> InboundSettings:
    return InboundSettings(
        poll_seconds=doc.inbound.poll_seconds,
        callbacks_enabled=doc.inbound.callbacks_enabled,
        retention_days=doc.support.inbound_retention_days,
        conflict_policies={
            field: getattr(doc.conflict_policy, field) for field in (*TWO_WAY_FIELDS, NOTES_POLICY)
        },
    )


def to_sync_config(doc: ConfigDocument) -> SyncConfig:
    return SyncConfig(
        object_range=_entries(doc.objects.range),
        object_range_full_history=_entries(doc.objects.full_history_range),
        person_types=tuple(doc.person_types),
        document_types_time_filtered=tuple(doc.document_types.with_time_filter),
        document_types_unfiltered=tuple(doc.document_types.without_time_filter),
        user_teams=tuple(doc.user_teams),
        licences=doc.licences,
        docuware_filters=tuple(doc.docuware.filters),
        portal_lead_days=doc.portal_account_lead_days,
        deletion_days=doc.delete_after_move_out_days,
        ticket_user_no=doc.ticket_user_number,
        no_docuware_sync=doc.support.no_docuware_sync,
        keep_payloads=doc.support.keep_transfer_payloads,
        retention_days=doc.support.retention_days,
        max_document_bytes=doc.max_document_bytes,
    )


def to_domain_range(item: ObjectRange) -> DomainRange:
    return DomainRange(item.start, item.end)


def _entries(items: list[ObjectRange]) -> tuple[DomainRange, ...]:
    return tuple(to_domain_range(item) for item in items)
