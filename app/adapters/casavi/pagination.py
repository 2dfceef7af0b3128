"""Following casavi's v2 pages: ``{list, _links: {next}}`` until ``next`` is empty.

The ``next`` link is followed verbatim (documented client practice), but only when it
points at casavi's own origin: a link elsewhere would carry our token to another host.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import httpx

from app.adapters.casavi.errors import CasaviProtocolError
from app.adapters.casavi.http import CasaviHttp, Params
from app.adapters.casavi.wire import Page

T = TypeVar("T")


def same_origin(link: httpx.URL, base: httpx.URL) -> bool:
    if link.is_relative_url:
        return True
    return (link.scheme, link.host, link.port) == (base.scheme, base.host, base.port)


async def iterate_pages(
    http: CasaviHttp, path: str, item_type: type[T], params: Params | None = None
) -> AsyncIterator[T]:
    url: str | None = path
    query = params
    while url:
        response = await http.request("GET", url, params=query)
        page = http.decode(response, Page[item_type])  # type: ignore[valid-type]
        for item in page.items:
            yield item
        url = page.links.next
        query = None  # the next link carries the query already
        if url and not same_origin(httpx.URL(url), http.base_url):
            raise CasaviProtocolError("next link points to another origin", method="GET", path=path)
