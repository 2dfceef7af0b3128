"""The ``gateway`` fixture: the HTTP app over fakes (``gateway.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.api.gateway import Gateway, open_gateway


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with open_gateway() as opened:
        yield opened
