"""Operations the casavi contract does not offer fail at once, before any request."""

from __future__ import annotations

import pytest

from app.adapters.casavi.client import CasaviClient
from app.adapters.casavi.errors import NotInContract
from app.adapters.casavi.settings import CasaviClientConfig


async def test_refused_operations_send_nothing() -> None:
    # Port 9 (discard) on loopback: any request would fail with a transport error instead.
    async with CasaviClient(
        CasaviClientConfig(base_url="http://127.0.0.1:9", key="k", secret="s")
    ) as client:
        with pytest.raises(NotInContract, match="no list of posts"):
            client.posts.list()
        with pytest.raises(NotInContract, match="PATCH"):
            await client.tickets.update(None)  # type: ignore[arg-type]
