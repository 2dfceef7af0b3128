"""The documents stage of a run (rules D1-D6, C6, C7, C9, C13) and the one-document send
that DocuWare's webhook uses.

Documents come from iX-Haus's document table and, unless "no DocuWare sync" is set (C13),
from the configured DocuWare cabinet. Each is decided by ``decide_document`` (D1/D4/C6/C7
release, D2 deleted without content, D3 fields, D5 size limit, D6 ticket documents alike);
DocuWare documents first need their C9 index fields when no filter is configured. Content
streams from the source into casavi (``DocumentPortal``), never whole in memory.

A document is sent again only when its fingerprint changed: the canonical record, which for
a DocuWare document holds its id and modification time and for an iX-Haus document its
content location and size. A document over the limit is never sent and is an error in the
protocol of every run that meets it (D5, L3).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Container
from datetime import datetime

import msgspec

from app.domain.config import SyncConfig
from app.domain.decisions import Decision, Delete, Exclude, Transfer
from app.domain.eligibility.documents import decide_document, docuware_index_reason
from app.domain.fingerprint import fingerprint
from app.domain.keys import EntityKind, InvalidKey, RecordKey
from app.domain.portal import PortalDocument
from app.domain.reasons import severity, text
from app.domain.records import DocumentTypeRecord
from app.errors import SyncNotPossible
from app.sync.context import SystemContext
from app.sync.outbound.stages import StageCounts
from app.sync.ports import (
    DmsDocument,
    DocumentContents,
    DocumentPortal,
    DocuwareSource,
    IxhausSource,
    Ledger,
    LedgerEntry,
    LinkState,
    Outcome,
)

log = logging.getLogger(__name__)

BATCH = 200
# Documents in flight at once: each streams source -> casavi in 64-256 KiB chunks, so this
# bounds memory and the load on DocuWare (whose client allows 4 concurrent requests).
CONCURRENCY = 4
KIND = EntityKind.DOCUMENT


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
    reader: IxhausSource,
    docuware: DocuwareSource | None,
    config: SyncConfig,
    now: datetime,
    *,
    in_portal: Container[RecordKey],
) -> AsyncIterator[Decision[PortalDocument]]:
    types = await DocumentTypes.load(reader)
    async for document in reader.documents():
        yield known_references(
            decide_document(document, types.get(document.type_no), config, now), in_portal
        )
    if docuware is not None and not config.no_docuware_sync:  # C13
        async for item in docuware.documents():
            yield known_references(decide_dms(item, types, config, now), in_portal)


def known_references(
    decision: Decision[PortalDocument], in_portal: Container[RecordKey]
) -> Decision[PortalDocument]:
    """A document is attached only to what casavi has (a moved-out person is left out)."""
    if not isinstance(decision, Transfer):
        return decision
    doc = decision.record

    def known(kind: EntityKind, number: str | int | None) -> bool:
        if number is None:
            return False
        try:  # DocuWare's index values are free text: one that is no key is not in casavi
            return RecordKey.of(kind, number) in in_portal
        except InvalidKey:
            return False

    record = msgspec.structs.replace(
        doc,
        person_no=doc.person_no if known(EntityKind.PERSON, doc.person_no) else None,
        ticket_no=doc.ticket_no if known(EntityKind.TICKET, doc.ticket_no) else None,
        object_no=doc.object_no if known(EntityKind.OBJECT, doc.object_no) else None,
    )
    return Transfer(key=decision.key, record=record, note=decision.note)


async def portal_keys(ledger: Ledger, system: str) -> Container[RecordKey]:
    return await ledger.sent_keys(system, (EntityKind.OBJECT, EntityKind.PERSON, EntityKind.TICKET))


async def run_documents(
    decisions: AsyncIterator[Decision[PortalDocument]],
    *,
    system: str,
    run_id: int | None,
    ledger: Ledger,
    portal: DocumentPortal,
    contents: DocumentContents,
    concurrency: int = CONCURRENCY,
) -> StageCounts:
    """Decide every document and transfer up to ``concurrency`` at a time (each transfer
    streams; memory grows with the number in flight, not with their size)."""
    known = await ledger.load(system, KIND)
    counts = StageCounts()
    outcomes: list[Outcome] = []
    slots = asyncio.Semaphore(concurrency)

    async def one(decision: Decision[PortalDocument]) -> None:
        try:
            outcome = await apply_document(
                decision, known.get(decision.key), portal, contents, counts
            )
        finally:
            slots.release()
        if outcome is not None:
            outcomes.append(outcome)

    async def flush() -> None:
        batch = outcomes[:]
        outcomes.clear()
        await ledger.save(system, KIND, batch, known, run_id=run_id)

    # ``apply_document`` never raises, so one document's failure stops no other. A failing
    # source (DocuWare unreachable) ends the stage with its own error, after the transfers
    # in flight have finished and been recorded.
    transfers: set[asyncio.Task[None]] = set()
    try:
        async for decision in decisions:
            await slots.acquire()
            task = asyncio.create_task(one(decision))
            transfers.add(task)
            task.add_done_callback(transfers.discard)
            if len(outcomes) >= BATCH:
                await flush()
    finally:
        await asyncio.gather(*transfers)
        await flush()
    return counts


async def apply_document(
    decision: Decision[PortalDocument],
    entry: LedgerEntry | None,
    portal: DocumentPortal,
    contents: DocumentContents,
    counts: StageCounts,
) -> Outcome | None:
    """Act on one document; the ledger outcome, or None when nothing changed."""
    key = decision.key
    was_sent = entry is not None and entry.state == "sent"
    casavi_id = entry.casavi_id if entry else None
    try:
        if isinstance(decision, Transfer):
            digest = fingerprint(decision.record)
            if was_sent and entry is not None and entry.fingerprint == digest:
                counts.unchanged += 1
                return None
            ref = await portal.put_document(
                key, decision.record, contents, exists=casavi_id is not None
            )
            counts.sent += 1
            return Outcome(key=key, state="sent", fingerprint=digest, casavi_id=ref)
        reason = decision.reason
        if was_sent:  # D2, or a document that left the eligible set: casavi drops it
            await portal.remove_document(key)
            counts.removed += 1
            state: LinkState = "deleted" if isinstance(decision, Delete) else "excluded"
            return Outcome(key=key, state=state, reason_code=reason.value, casavi_id=casavi_id)
        if isinstance(decision, Exclude) and severity(reason) == "error":
            counts.errors += 1  # D5: never sent, an error in this run's protocol (L3)
            message = text(reason, "en")
            return Outcome(key=key, state="error", reason_code=reason.value, error=message)
        counts.excluded += 1
        if entry is not None and entry.state == "excluded" and entry.reason_code == reason.value:
            return None
        return Outcome(key=key, state="excluded", reason_code=reason.value, casavi_id=casavi_id)
    except Exception as exc:  # one document's failure never stops the run (rule L3)
        counts.errors += 1
        log.warning("%s failed: %s", key.ledger_key, type(exc).__name__)
        body = getattr(exc, "body", "")
        error = f"{type(exc).__name__}: {exc}{f': {body}' if body else ''}"[:1000]
        return Outcome(key=key, state="error", error=error, casavi_id=casavi_id)


async def _one(decision: Decision[PortalDocument]) -> AsyncIterator[Decision[PortalDocument]]:
    yield decision


async def send_docuware_document(
    ctx: SystemContext, *, ledger: Ledger, document_id: int, now: datetime
) -> StageCounts:
    """A DocuWare webhook's document, now, through the same rules and ledger as a run."""
    if ctx.docuware is None or ctx.documents is None or ctx.contents is None:
        raise SyncNotPossible(
            "DocuWare is not configured for this system, or switched off (rule C13)."
        )
    item = await ctx.docuware.document(document_id)
    types = await DocumentTypes.load(ctx.source)
    in_portal = await portal_keys(ledger, ctx.system)
    decision = known_references(decide_dms(item, types, ctx.config, now), in_portal)
    return await run_documents(
        _one(decision),
        system=ctx.system,
        run_id=None,
        ledger=ledger,
        portal=ctx.documents,
        contents=ctx.contents,
    )
