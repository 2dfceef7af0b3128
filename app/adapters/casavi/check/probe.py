"""One probe: a casavi call recorded in its row (status, deviations from the contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from app.adapters.casavi.check.rows import Row
from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.contract import operations, shape_issues
from app.adapters.casavi.errors import CasaviError
from app.adapters.casavi.routes import CasaviRoutes


def path(base: str, *parts: str) -> str:
    return "/".join([base, *(quote(p, safe="") for p in parts)])


class Paths:
    """The gateway's paths for the contract's operations (``CasaviRoutes``)."""

    def __init__(self, routes: CasaviRoutes) -> None:
        self.r = routes

    def ticket(self, ticket: str, *rest: str) -> str:
        return path(self.r.tickets, ticket, *rest)

    def messages(self, ticket: str, *message: str) -> str:
        return path(self.r.tickets, ticket, self.r.ticket_messages, *message)

    def attachments(self, ticket: str) -> str:
        return path(self.r.tickets, ticket, self.r.ticket_attachments)

    def close(self, ticket: str) -> str:
        return path(self.r.tickets, ticket, self.r.ticket_close)

    def document_file(self, document: str) -> str:
        return path(self.r.documents, document, self.r.document_file)


class Prober:
    def __init__(self, client: CasaviClient, rows: dict[str, Row]) -> None:
        self.client = client
        self.rows = rows
        self.paths = Paths(client.http.config.routes)

    async def call(
        self,
        operation: str | None,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        raw: tuple[Any, dict[str, str]] | None = None,
        stream: bool = False,
    ) -> Any:
        """The answer's JSON (True for an empty or non-JSON body); None when it failed.
        ``operation`` None: a helper call (e.g. a list to find an id), not a row."""
        row = self.rows.get(operation) if operation else None
        try:
            response = await self.client.http.request(
                method,
                url,
                params=dict(params) if params else None,
                json=None if body is None else msgspec.json.encode(body),
                body=raw[0] if raw else None,
                headers=raw[1] if raw else None,
                idempotent=method != "POST",
                stream=stream,
            )
        except CasaviError as exc:
            if row is not None:
                self._failed(row, exc)
            return None
        except httpx.HTTPError as exc:
            if row is not None:
                row.probed, row.unavailable = True, True
                row.status = f"unreachable ({type(exc).__name__})"
            return None
        if stream:
            async for _ in response.aiter_bytes(1024):
                break
            await response.aclose()
            data: Any = True
        else:
            data = _json(response)
        if row is not None:
            row.probed = True
            row.http_status = response.status_code
            row.status = f"{response.status_code}"
            if not stream:
                answer = None if data is True else data
                row.issues = shape_issues(operations()[row.operation].response, answer)
        return data

    def _failed(self, row: Row, exc: CasaviError) -> None:
        row.probed = True
        row.http_status = exc.http_status
        if exc.http_status is None or exc.status == 503:
            row.unavailable = True
            row.status = f"unavailable ({type(exc).__name__})"
        else:
            row.status = f"{exc.http_status}"

    def skip(self, operation: str, why: str) -> None:
        row = self.rows[operation]
        if not row.probed:
            row.note = why


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return True  # e.g. 204: success without a body
    try:
        return response.json()
    except ValueError:
        return True


def first_id(page: Any) -> str | None:
    if isinstance(page, dict) and isinstance(page.get("list"), list) and page["list"]:
        item = page["list"][0]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None
