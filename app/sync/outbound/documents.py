"""The documents of a run (rules D1-D6, C6, C7, C9, C13), and the one-document send that
DocuWare's webhook uses.

Documents come from iX-Haus's document table and, unless "no DocuWare sync" is set (C13),
from the configured DocuWare cabinet. Each is decided by ``decide_document`` (D1/D4/C6/C7
release, D2 deleted without content, D3 fields, D5 size limit, D6 ticket documents alike);
DocuWare documents first need their C9 index fields when no filter is configured. The send
engine writes them like every other record (``engine.DocumentSender``): content streams from
the source into casavi, never whole in memory, a few at a time.

A document is sent again only when its fingerprint changed: the canonical record, which for
a DocuWare document holds its id and modification time and for an iX-Haus document its
content location and size. A document over the limit is never sent: it is excluded with its
reason (D5), a warning an operator acts on, not an error of the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import msgspec

from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Exclude, Transfer
from app.domain.eligibility.documents import decide_document, docuware_index_reason
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, InvalidKey, RecordKey
from app.domain.portal import PortalDocument
from app.domain.records import DocumentTypeRecord
from app.errors import SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound.engine import SendEngine
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.senders import DocumentSender
from app.sync.ports import DmsDocument, DocuwareSource, IxhausSource

# Documents in flight at once: each streams source -> casavi in 64-256 KiB chunks, so this
# bounds memory and the load on DocuWare (whose client allows 4 concurrent requests).
CONCURRENCY = 4
KIND = EntityKind.DOCUMENT
# What a document names in casavi (D6: a ticket; else a person or the object).
DOCUMENT_TARGETS = (EntityKind.OBJECT, EntityKind.PERSON, EntityKind.TICKET)


class DocumentTypes:
    """iX-Haus document types by number, and by name for DocuWare's type text."""

    def __init__(self, types: list[DocumentTypeRecord]) -> None:
        self._by_number = {t.number: t for t in types}
        self._by_name = {t.name.casefold(): t for t in types}

    @classmethod
    async def load(cls, reader: IxhausSource) -> DocumentTypes:
        return cls([t async for t in reader.document_types()])

    def get(self, type_no: str) -> DocumentTypeRecord | None:
        return self._by_number.get(type_no)

    def for_docuware(self, text: str) -> DocumentTypeRecord | None:
        return self._by_number.get(text) or self._by_name.get(text.casefold())


def decide_dms(
    item: DmsDocument, types: DocumentTypes, config: SyncConfig, now: datetime
) -> Decision[PortalDocument]:
    """A DocuWare document: C13 and C9 first, then the rules every document follows."""
    reason = docuware_index_reason(item.index, config)
    if reason is not None:
        return Exclude(key=item.key, reason=reason)
    doc_type = types.for_docuware(item.record.type_no)
    record = item.record
    if doc_type is not None:
        record = msgspec.structs.replace(record, type_no=doc_type.number)
    decision = decide_document(record, doc_type, config, now)
    if isinstance(decision, Transfer):
        extra = {"content_type": item.content_type, "content_version": item.version}
        return Transfer(key=item.key, record=msgspec.structs.replace(decision.record, **extra))
    return msgspec.structs.replace(decision, key=item.key)


async def document_decisions(
    reader: IxhausSource, types: DocumentTypes, config: SyncConfig, now: datetime, ids: IdentityMap
) -> AsyncIterator[Decision[PortalDocument]]:
    """iX-Haus's documents."""
    async for document in reader.documents():
        yield known_references(
            decide_document(document, types.get(document.type_no), config, now), ids
        )


async def docuware_decisions(
    docuware: DocuwareSource,
    types: DocumentTypes,
    config: SyncConfig,
    now: datetime,
    ids: IdentityMap,
) -> AsyncIterator[Decision[PortalDocument]]:
    """The configured DocuWare cabinet's documents (C9)."""
    async for item in docuware.documents():
        yield known_references(decide_dms(item, types, config, now), ids)


def known_references(
    decision: Decision[PortalDocument], ids: IdentityMap
) -> Decision[PortalDocument]:
    """A document is attached only to what casavi holds (a moved-out person is left out);
    a target whose state is unsettled is kept, and the document waits for it."""
    if not isinstance(decision, Transfer):
        return decision
    doc = decision.record

    def known(kind: EntityKind, number: str | int | None) -> bool:
        if number is None:
            return False
        try:  # DocuWare's index values are free text: one that is no key is not in casavi
            return ids.named(RecordKey.of(kind, number))
        except InvalidKey:
            return False

    record = msgspec.structs.replace(
        doc,
        person_no=doc.person_no if known(EntityKind.PERSON, doc.person_no) else None,
        ticket_no=doc.ticket_no if known(EntityKind.TICKET, doc.ticket_no) else None,
        object_no=doc.object_no if known(EntityKind.OBJECT, doc.object_no) else None,
    )
    return Transfer(key=decision.key, record=record, note=decision.note)


async def _one(decision: Decision[PortalDocument]) -> AsyncIterator[Decision[PortalDocument]]:
    yield decision


async def send_docuware_document(ctx: SystemContext, *, document_id: int, now: datetime) -> Tally:
    """A DocuWare webhook's document, now, through the same rules and engine as a run."""
    if ctx.docuware is None or ctx.documents is None or ctx.contents is None:
        raise SyncNotPossible(
            "DocuWare is not configured for this system, or switched off (rule C13)."
        )
    item = await ctx.docuware.document(document_id)
    types = await DocumentTypes.load(ctx.source)
    ledger = ctx.stores.ledger
    engine = SendEngine(run_id=None, ledger=ledger, ids=await ledger.identities(DOCUMENT_TARGETS))
    decision = known_references(decide_dms(item, types, ctx.config, now), engine.ids)
    tally = await engine.stage(
        KIND, _one(decision), DocumentSender(ctx.documents, ctx.contents), concurrency=1
    )
    engine.breaker.check()
    return tally
