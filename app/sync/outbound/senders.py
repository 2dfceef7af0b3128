"""Where a stage's records go: casavi's records (``PortalSender``) or its documents
(``DocumentSender``, with the content streamed from the source). The send engine only knows
``Sender``: prepare a write (mapping every id through the identity map, no request yet), or
remove a record.
"""

from __future__ import annotations

from typing import Any, Protocol

from app.domain.decisions import Transfer
from app.domain.identity import IdentityMap
from app.domain.keys import RecordKey
from app.domain.portal import PortalDocument
from app.sync.ports import DocumentContents, DocumentPortal, Portal, PortalWrite


class Sender(Protocol):
    """Where a stage's records go: casavi's records (``PortalSender``) or its documents."""

    def prepare(self, decision: Transfer[Any], ids: IdentityMap) -> PortalWrite: ...
    async def remove(self, key: RecordKey, ids: IdentityMap) -> None: ...


class PortalSender:
    def __init__(self, portal: Portal) -> None:
        self._portal = portal

    def prepare(self, decision: Transfer[Any], ids: IdentityMap) -> PortalWrite:
        return self._portal.prepare(decision.key, decision.record, ids)

    async def remove(self, key: RecordKey, ids: IdentityMap) -> None:
        await self._portal.remove(key, ids=ids)


class DocumentSender:
    def __init__(self, documents: DocumentPortal, contents: DocumentContents) -> None:
        self._documents = documents
        self._contents = contents

    def prepare(self, decision: Transfer[Any], ids: IdentityMap) -> PortalWrite:
        record: PortalDocument = decision.record
        return self._documents.prepare_document(decision.key, record, self._contents, ids)

    async def remove(self, key: RecordKey, ids: IdentityMap) -> None:
        await self._documents.remove_document(key, ids=ids)
