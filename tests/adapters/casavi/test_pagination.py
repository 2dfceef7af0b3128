"""Pagination: following ``_links.next`` across many pages, with filters kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.pagination import same_origin
from app.adapters.casavi.wire import PropertyWrite, UnitWrite
from tests.support.casavi import Contract, SimHandle


async def test_lists_follow_next_links_across_many_pages(
    client: CasaviClient, simulator: SimHandle, contract: Contract
) -> None:
    ids = [f"P-{n:04d}" for n in range(137)]
    await asyncio.gather(*(client.properties.create(PropertyWrite(id=i, name=i)) for i in ids))
    seen = [p.id async for p in client.properties.list()]
    assert len(seen) == len(ids)  # nothing repeated
    assert sorted(seen) == ids  # nothing lost
    assert await simulator.route_count("GET /v2/properties") == 7  # 20 per page
    assert contract.checked > 137


async def test_modified_after_is_sent_and_kept_on_later_pages(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="P"))
    for n in range(30):
        await client.units.create(UnitWrite(id=f"U-old-{n}", property_id="P-1"))
    since = datetime.now(UTC)
    await asyncio.sleep(0.01)
    for n in range(45):
        await client.units.create(UnitWrite(id=f"U-new-{n}", property_id="P-1"))
    newer = [u.id async for u in client.units.list(modified_after=since)]
    assert newer == [f"U-new-{n}" for n in range(45)]


async def test_empty_collection_is_one_empty_page(client: CasaviClient) -> None:
    assert [c async for c in client.contacts.list()] == []


def test_next_links_to_other_origins_are_not_followed() -> None:
    base = httpx.URL("https://api.mycasavi.com")
    assert same_origin(httpx.URL("https://api.mycasavi.com/v2/units?page=2"), base)
    assert same_origin(httpx.URL("/v2/units?page=2"), base)
    assert not same_origin(httpx.URL("https://evil.example/v2/units?page=2"), base)
    assert not same_origin(httpx.URL("http://api.mycasavi.com/v2/units"), base)
