"""Platform endpoints: file cabinets, dialogs, DialogExpression search, documents, download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import msgspec
from litestar import get, post
from litestar.handlers import BaseRouteHandler
from litestar.response import Response, Stream

from app.sandbox.docuware.common import (
    PLATFORM,
    AnyRequest,
    SimError,
    document_json,
    json_response,
    sim_of,
)
from app.sandbox.docuware.content import content_chunks
from app.sandbox.docuware.query import LIMIT_MESSAGE, MAX_COUNT, SimExpression, matches
from app.sandbox.docuware.state import DocuwareSim, SimDocument

CABINET = f"{PLATFORM}/FileCabinets/{{cabinet_id:str}}"
CUSTOM_DIALOG = "00000000-0000-0000-0000-000000000000"


def _search_dialog_id(cabinet_id: str) -> str:
    return f"{cabinet_id[:-4]}d001"


def _cabinet(sim: DocuwareSim, cabinet_id: str) -> None:
    if not any(c.id == cabinet_id for c in sim.cabinets):
        raise SimError(404, f"'{cabinet_id}' is not a valid file cabinet id.")


def _document(sim: DocuwareSim, cabinet_id: str, document_id: int) -> SimDocument:
    _cabinet(sim, cabinet_id)
    document = sim.documents.get(document_id)
    if document is None or document.cabinet_id != cabinet_id:
        raise SimError(404, f"Document {document_id} not found.")
    return document


def _path_text(request: AnyRequest) -> str:
    return str(request.path_params["cabinet_id"])


def _path_id(request: AnyRequest) -> int:
    return int(request.path_params["document_id"])


def _int_param(request: AnyRequest, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SimError(400, f"{name} must be an integer.") from None
    if value < 0:
        raise SimError(400, f"{name} must not be negative.")
    return value


@get(f"{PLATFORM}/FileCabinets", sync_to_thread=False)
def file_cabinets(request: AnyRequest) -> Response[bytes]:
    org = request.query_params.get("OrgId")
    if org is not None and org != sim_of(request).organization_id:
        raise SimError(404, f"Organization {org!r} not found.")
    cabinets = [
        {
            "Id": c.id,
            "Name": c.name,
            "IsBasket": c.is_basket,
            "Usable": True,
            "Links": [{"rel": "self", "href": f"{PLATFORM}/FileCabinets/{c.id}"}],
        }
        for c in sim_of(request).cabinets
    ]
    return json_response({"FileCabinet": cabinets})


@get(f"{CABINET}/Dialogs", sync_to_thread=False)
def dialogs(request: AnyRequest) -> Response[bytes]:
    cabinet_id = _path_text(request)
    _cabinet(sim_of(request), cabinet_id)
    dialog = {
        "Id": _search_dialog_id(cabinet_id),
        "DisplayName": "Suche",
        "FileCabinetId": cabinet_id,
        "Type": "Search",
        "IsDefault": True,
    }
    return json_response({"Dialog": [dialog]})


@post(f"{CABINET}/Query/DialogExpression", status_code=200)
async def dialog_expression(request: AnyRequest) -> Response[bytes]:
    cabinet_id = _path_text(request)
    sim = sim_of(request)
    _cabinet(sim, cabinet_id)
    dialog_id = request.query_params.get("dialogId")
    if dialog_id not in (CUSTOM_DIALOG, _search_dialog_id(cabinet_id)):
        raise SimError(404, f"Dialog '{dialog_id}' not found.")
    start = _int_param(request, "start", 0)
    count = _int_param(request, "count", 100)
    if count > MAX_COUNT:
        raise SimError(422, LIMIT_MESSAGE)
    try:
        expression = msgspec.json.decode(await request.body(), type=SimExpression)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise SimError(422, f"Invalid search expression: {exc}") from None
    sim.stats.searches += 1
    hits = [
        d
        for d in sorted(sim.documents.values(), key=lambda d: d.id)
        if d.cabinet_id == cabinet_id and matches(d, expression)
    ]
    # The server gives at most its own page size, whatever ``count`` asked for.
    page = hits[start : start + min(count, sim.page_size)]
    has_more = start + len(page) < len(hits)
    links = []
    if has_more:
        query = dict(request.query_params)
        query["start"] = str(start + len(page))
        links.append({"rel": "next", "href": f"{request.url.path}?{urlencode(query)}"})
    return json_response(
        {
            "Items": [document_json(request, d) for d in page],
            "Count": {"Value": len(hits), "HasMore": has_more, "ExceedLimit": False},
            "Links": links,
        }
    )


@get(f"{CABINET}/Documents/{{document_id:int}}", sync_to_thread=False)
def document(request: AnyRequest) -> Response[bytes]:
    found = _document(sim_of(request), _path_text(request), _path_id(request))
    return json_response(document_json(request, found))


@get(f"{CABINET}/Documents/{{document_id:int}}/FileDownload", sync_to_thread=False)
def file_download(request: AnyRequest) -> Stream:
    sim = sim_of(request)
    found = _document(sim, _path_text(request), _path_id(request))
    target = request.query_params.get("targetFileType", "Auto")
    if target not in ("Auto", "PDF", "Zip", "Original"):
        raise SimError(400, f"Unknown targetFileType '{target}'.")
    sim.stats.downloads += 1

    async def body() -> AsyncIterator[bytes]:
        for chunk in content_chunks(found.id, found.size):
            yield chunk

    return Stream(
        body(),
        media_type=found.content_type,
        headers={
            "Content-Length": str(found.size),
            "Content-Disposition": f'attachment; filename="{found.id}.pdf"',
        },
    )


def platform_handlers() -> list[BaseRouteHandler]:
    return [file_cabinets, dialogs, dialog_expression, document, file_download]
