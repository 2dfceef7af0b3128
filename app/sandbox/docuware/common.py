"""Helpers shared by the simulator's handlers: errors, JSON bodies, wire shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response

from app.sandbox.docuware.state import DocuwareSim, SimDocument

AnyRequest = Request[Any, Any, Any]
PLATFORM = "/DocuWare/Platform"
DATE_FIELDS = frozenset({"DWSTOREDATETIME"})


class SimError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sim_of(request: AnyRequest) -> DocuwareSim:
    sim: DocuwareSim = request.app.state["sim"]
    return sim


def base_of(request: AnyRequest) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def json_response(data: object, status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(data), status_code=status, media_type="application/json"
    )


def error_response(status: int, message: str) -> Response[bytes]:
    return json_response({"Message": message}, status)


def _date_item(text: str) -> str:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)})/"


def document_json(request: AnyRequest, document: SimDocument) -> dict[str, object]:
    fields: list[dict[str, object]] = [
        {
            "FieldName": "DWDOCID",
            "Item": document.id,
            "ItemElementName": "Int",
            "IsNull": False,
            "SystemField": True,
        }
    ]
    for name, value in document.fields.items():
        is_date = name in DATE_FIELDS and value is not None
        fields.append(
            {
                "FieldName": name,
                "Item": _date_item(value) if is_date and value else value,
                "ItemElementName": "DateTime" if name in DATE_FIELDS else "String",
                "IsNull": value is None,
                "SystemField": name.startswith("DW"),
            }
        )
    self_path = f"{PLATFORM}/FileCabinets/{document.cabinet_id}/Documents/{document.id}"
    return {
        "Id": document.id,
        "FileCabinetId": document.cabinet_id,
        "Title": document.title,
        "ContentType": document.content_type,
        "FileSize": document.size,
        "CreatedAt": _date_item(document.created.strftime("%Y-%m-%dT%H:%M:%S")),
        "LastModified": _date_item(
            (document.modified or document.created).strftime("%Y-%m-%dT%H:%M:%S")
        ),
        "Fields": fields,
        "Links": [
            {"rel": "self", "href": self_path},
            {"rel": "fileDownload", "href": f"{self_path}/FileDownload"},
        ],
    }
