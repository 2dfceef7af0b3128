"""Generic access to one casavi collection, and the idempotent create every POST uses.

Creates are keyed by our reference id (``id``). When casavi may have stored a record but
its answer was lost (a read error, a timeout after sending, a 502/504), we look the record
up by its reference id *before* sending the create again, so a lost answer never produces a
duplicate. A plain 409 (the id existed before this call) is raised as ``CasaviConflict``:
the caller decides whether to update instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from app.adapters.casavi import answers
from app.adapters.casavi.errors import (
    CasaviConflict,
    CasaviNotFound,
    CasaviOutcomeUnknown,
    CasaviUnavailable,
)
from app.adapters.casavi.http import CasaviHttp
from app.adapters.casavi.pagination import iterate_pages
from app.adapters.casavi.routes import Nouns
from app.adapters.casavi.wire import Page
from app.adapters.http.engine import BodyFactory, Params

R = TypeVar("R")
T = TypeVar("T")


class HasId(Protocol):
    @property
    def id(self) -> str: ...


W = TypeVar("W", bound=HasId)


def ref_path(*parts: str) -> str:
    """Join path segments; reference ids are percent-encoded (they may hold ``/`` or ``.``)."""
    head, *ids = parts
    return "/".join([head, *(quote(part, safe="") for part in ids)])


def iso(moment: datetime) -> str:
    """casavi's date-time form: ISO-8601 in UTC with ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: casavi needs UTC")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def find_or_none(fetch: Callable[[], Awaitable[R]]) -> R | None:
    try:
        return await fetch()
    except CasaviNotFound:
        return None


async def create_once(
    http: CasaviHttp,
    path: str,
    into: type[R],
    find: Callable[[], Awaitable[R | None]],
    *,
    operation: str,
    json: bytes | None = None,
    body: BodyFactory | None = None,
    headers: dict[str, str] | None = None,
    deadline: float | None = None,
) -> R:
    policy = http.config.retry
    uncertain = False
    for attempt in range(1, policy.max_attempts + 1):
        try:
            response = await http.request(
                "POST",
                path,
                json=json,
                body=body,
                headers=headers,
                idempotent=False,
                deadline=deadline,
            )
            return answers.decode(response, into, operation, http.config.system)
        except CasaviConflict:
            if not uncertain:
                raise
            # Our earlier try was stored after all.
            existing = await find()
            if existing is None:
                raise
            return existing
        except CasaviOutcomeUnknown:
            uncertain = True
            existing = await find()
            if existing is not None:
                return existing
            await asyncio.sleep(policy.backoff(attempt))
    raise CasaviUnavailable(
        f"create still unconfirmed after {policy.max_attempts} tries", method="POST", path=path
    )


class Resource(Generic[R, W]):
    """A casavi collection with list/get/create/update/delete by reference id."""

    def __init__(self, http: CasaviHttp, path: str, read_type: type[R], nouns: Nouns) -> None:
        self._http = http
        self._path = path
        self._type = read_type
        self._nouns = nouns

    def __repr__(self) -> str:
        return f"Resource({self._path!r})"

    def _decode(self, response: httpx.Response, verb: str, into: type[T] | None = None) -> T:
        target: Any = into or self._type
        operation = self._nouns.op(verb)
        decoded: T = answers.decode(response, target, operation, self._http.config.system)
        return decoded

    def list(
        self, *, modified_after: datetime | None = None, **filters: str | int | bool
    ) -> AsyncIterator[R]:
        params: dict[str, str | int | float | bool] = dict(filters)
        if modified_after is not None:
            params["modifiedAfter"] = iso(modified_after)
        query: Params | None = params or None
        return iterate_pages(
            self._http, self._path, self._type, query, operation=self._nouns.op("list")
        )

    async def first_page(self, *, limit: int) -> Sequence[R]:
        """The first ``limit`` records, in one request (a probe: are there any?)."""
        response = await self._http.request("GET", self._path, params={"pageSize": limit})
        into: Any = Page[self._type]  # type: ignore[name-defined]
        page: Page[R] = self._decode(response, "list", into)
        return page.items

    async def get(self, ref: str) -> R:
        response = await self._http.request("GET", ref_path(self._path, ref))
        return self._decode(response, "get")

    async def find(self, ref: str) -> R | None:
        return await find_or_none(lambda: self.get(ref))

    async def create(self, item: W) -> R:
        payload = msgspec.json.encode(item)
        return await create_once(
            self._http,
            self._path,
            self._type,
            lambda: self.find(item.id),
            json=payload,
            operation=self._nouns.op("create"),
        )

    async def update(self, item: W) -> R:
        """Replace the record (PUT by reference id)."""
        response = await self._http.request(
            "PUT", ref_path(self._path, item.id), json=msgspec.json.encode(item)
        )
        return self._decode(response, "update")

    async def delete(self, ref: str) -> bool:
        """True if casavi deleted it, False if it was not there (already deleted)."""
        try:
            await self._http.request("DELETE", ref_path(self._path, ref))
        except CasaviNotFound:
            return False
        return True
