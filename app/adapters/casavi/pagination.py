"""Following casavi's v2 pages: ``{list, _links: {next}}`` until ``next`` is empty.

The ``next`` link is followed verbatim (documented client practice), but only when it
points at casavi's own origin: a link elsewhere would carry our token to another host.
Each item is checked against the contract on its own (``answers``): a deviating record is
reported and left out - or, with ``on_deviant``, replaced by what that returns, so the
caller can fail that record by name - and the rest of the page goes on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import httpx

from app.adapters.casavi.answers import (
    CasaviContractDeviation,
    Deviant,
    decode_bytes,
    decode_page,
)
from app.adapters.casavi.errors import CasaviProtocolError
from app.adapters.casavi.http import CasaviHttp
from app.adapters.http.engine import Params

T = TypeVar("T")


def same_origin(link: httpx.URL, base: httpx.URL) -> bool:
    if link.is_relative_url:
        return True
    return (link.scheme, link.host, link.port) == (base.scheme, base.host, base.port)


async def iterate_pages(
    http: CasaviHttp,
    path: str,
    item_type: type[T],
    params: Params | None = None,
    *,
    operation: str,
    on_deviant: Deviant | None = None,
    on_response: Callable[[httpx.Response], None] | None = None,
) -> AsyncIterator[T]:
    url: str | None = path
    query = params
    system = http.config.system
    while url:
        response = await http.request("GET", url, params=query)
        if on_response is not None:
            on_response(response)
        page = decode_page(response, operation, system)
        for raw in page.items:
            try:
                item = decode_bytes(raw, item_type, operation, system, ("GET", path))
            except CasaviContractDeviation as deviation:
                if on_deviant is not None and (instead := on_deviant(raw, deviation)) is not None:
                    yield instead
                continue
            yield item
        url = page.links.next
        query = None  # the next link carries the query already
        if url and not same_origin(httpx.URL(url), http.base_url):
            raise CasaviProtocolError("next link points to another origin", method="GET", path=path)
