"""``DocuwareClient``: the DocuWare adapter's one entry point (one per configuration).

Build it once in the composition root with ``docuware_client(config)`` and close it on
shutdown. It logs on once and reuses that token for every call of a run (each logon books a
licence); it never logs off, because a logon within two minutes of a log-off can fail
(KBA-36918) and the token simply runs out after 60 minutes::

    client = docuware_client(DocuwareClientConfig(base_url=..., username=..., password=...))
    async for document in client.search(cabinet_id, filters):
        async with client.open_download(cabinet_id, document.id) as download:
            async for chunk in download.chunks(): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx
import msgspec

from app.adapters.docuware.download import Download
from app.adapters.docuware.http import PLATFORM, DocuwareHttp
from app.adapters.docuware.records import (
    DocuwareCabinet,
    DocuwareDocument,
    to_cabinet,
    to_document,
)
from app.adapters.docuware.search import expressions_for
from app.adapters.docuware.settings import DocuwareClientConfig
from app.adapters.docuware.wire import (
    DialogExpression,
    DialogList,
    Document,
    DocumentsQueryResult,
    FileCabinetList,
)
from app.adapters.http.client import HttpClient


def _cabinet_path(cabinet_id: str, *rest: str) -> str:
    # Ids go into the path percent-encoded: a cabinet id must never add a path segment.
    return "/".join((PLATFORM, "FileCabinets", quote(cabinet_id, safe=""), *rest))


class DocuwareClient(HttpClient[DocuwareClientConfig, DocuwareHttp]):
    engine = DocuwareHttp

    @property
    def logons(self) -> int:
        """How often this client logged on (each one books a licence; metrics and tests)."""
        return self.http.tokens.obtained

    async def logon(self) -> None:
        """Log on now if there is no usable token (the connection check)."""
        await self.http.tokens.current()

    async def cabinets(self) -> list[DocuwareCabinet]:
        """File cabinets the user may use; document trays (``IsBasket``) are not cabinets."""
        org = self.config.organization_id
        params = {"OrgId": org} if org else None  # on premises with several organisations
        response = await self.http.request("GET", f"{PLATFORM}/FileCabinets", params=params)
        listed = self.http.decode(response, FileCabinetList)
        return [to_cabinet(c) for c in listed.file_cabinet if not c.is_basket and c.usable]

    async def search_dialogs(self, cabinet_id: str) -> list[str]:
        """Ids of the cabinet's search dialogs (the custom dialog works without them)."""
        path = _cabinet_path(cabinet_id, "Dialogs")
        response = await self.http.request("GET", path, params={"DialogType": "Search"})
        return [dialog.id for dialog in self.http.decode(response, DialogList).dialog]

    async def document(self, cabinet_id: str, document_id: int) -> DocuwareDocument:
        path = _cabinet_path(cabinet_id, "Documents", str(document_id))
        response = await self.http.request("GET", path)
        return to_document(self.http.decode(response, Document), cabinet_id)

    async def search(
        self, cabinet_id: str, filters: Sequence[str] = ()
    ) -> AsyncIterator[DocuwareDocument]:
        """Documents selected by the configured filters or, without one, by the index
        fields of rule C9; each document once, page by page."""
        seen: set[int] = set()
        for expression in expressions_for(filters, self.config.fields):
            async for document in self._pages(cabinet_id, expression):
                if document.id not in seen:
                    seen.add(document.id)
                    yield document

    async def _pages(
        self, cabinet_id: str, expression: DialogExpression
    ) -> AsyncIterator[DocuwareDocument]:
        path = _cabinet_path(cabinet_id, "Query", "DialogExpression")
        body = msgspec.json.encode(expression)
        start = 0
        while True:
            params: dict[str, str | int] = {
                "dialogId": self.config.dialog_id,
                "start": start,
                "count": self.config.page_size,  # <= 10,000 (KBA-36909)
            }
            response = await self.http.request("POST", path, params=params, json=body)
            page = self.http.decode(response, DocumentsQueryResult)
            for item in page.items:
                yield to_document(item, cabinet_id)
            # The server may return fewer than asked for; ``HasMore`` says whether to go on.
            if not page.items or not page.count.has_more:
                return
            start += len(page.items)

    @asynccontextmanager
    async def open_download(self, cabinet_id: str, document_id: int) -> AsyncIterator[Download]:
        """The document's file as a stream (size and type known before the first byte)."""
        path = _cabinet_path(cabinet_id, "Documents", str(document_id), "FileDownload")
        params = {"targetFileType": "Auto", "keepAnnotations": "false"}
        response = await self.http.request("GET", path, params=params, stream=True)
        try:
            yield Download(response, self.config.download_chunk_bytes)
        finally:
            await response.aclose()

    async def download(self, cabinet_id: str, document_id: int) -> AsyncIterator[bytes]:
        """The document's bytes in chunks; never the whole file in memory."""
        async with self.open_download(cabinet_id, document_id) as download:
            async for chunk in download.chunks():
                yield chunk


def docuware_client(
    config: DocuwareClientConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> DocuwareClient:
    """The factory composition roots call: one long-lived client per configuration."""
    return DocuwareClient(config, transport=transport)
