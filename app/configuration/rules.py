"""From the stored configuration document to what the transfer rules read (``SyncConfig``)."""

from __future__ import annotations

from app.configuration.document import ConfigDocument, ObjectRange
from app.domain.config import ObjectRange as DomainRange
from app.domain.config import SyncConfig


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
        max_document_bytes=doc.max_document_bytes,
    )


def to_domain_range(item: ObjectRange) -> DomainRange:
    return DomainRange(item.start, item.end)


def _entries(items: list[ObjectRange]) -> tuple[DomainRange, ...]:
    return tuple(to_domain_range(item) for item in items)
