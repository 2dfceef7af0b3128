"""The contract check itself: violations in requests are caught, not waved through."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.wire import PropertyWrite
from app.adapters.casavi.wire_tickets import DocumentWrite
from tests.support.casavi import Contract


async def test_a_json_body_outside_the_contract_fails_the_test(
    client: CasaviClient, contract: Contract
) -> None:
    with pytest.raises(AssertionError, match=r"minLength|too short|should be non-empty"):
        await client.properties.create(PropertyWrite(id="P-1", name=""))
    assert len(contract.violations) == 1
    contract.violations.clear()  # expected here; the fixture fails the test otherwise


async def test_streamed_upload_metadata_is_checked_too(
    client: CasaviClient, contract: Contract, tmp_path: Path
) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    with pytest.raises(AssertionError, match=r"metadata|name"):
        await client.documents.upload(DocumentWrite(id="D-1", name="", file_name="a"), source)
    assert contract.violations
    contract.violations.clear()
