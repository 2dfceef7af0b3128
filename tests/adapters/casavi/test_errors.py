"""The error tree: what a caller learns from a failed call, and what it never learns."""

from __future__ import annotations

import pytest

from app.adapters.casavi import (
    CasaviClient,
    CasaviError,
    CasaviNotFound,
    CasaviRejected,
    CasaviUnavailable,
)
from app.adapters.casavi.errors import CasaviDeadlineExceeded
from app.adapters.casavi.wire import UnitWrite
from app.adapters.http.errors import BODY_LIMIT, redact
from app.errors import GatewayError
from tests.support.casavi import SimHandle


async def test_rejection_carries_method_path_status_and_body(client: CasaviClient) -> None:
    with pytest.raises(CasaviNotFound) as caught:
        await client.units.get("U/404")
    error = caught.value
    assert (error.method, error.path, error.http_status) == ("GET", "/v2/units/U%2F404", 404)
    assert "not found" in error.body
    assert "GET /v2/units/U%2F404 -> 404" in str(error)
    assert isinstance(error, CasaviRejected)
    assert isinstance(error, GatewayError)


async def test_long_error_bodies_are_truncated(client: CasaviClient) -> None:
    with pytest.raises(CasaviRejected) as caught:
        await client.units.create(UnitWrite(id="U-1", property_id="P" * 100))
    assert caught.value.http_status == 422
    assert len(caught.value.body) <= BODY_LIMIT


async def test_unavailable_errors_carry_the_last_status(
    client: CasaviClient, simulator: SimHandle
) -> None:
    await simulator.faults(fail_next=100, fail_status=503)
    with pytest.raises(CasaviUnavailable) as caught:
        await client.ticket_types.find("TT-1")
    assert caught.value.http_status == 503
    assert caught.value.status == 503  # what the gateway's edge answers with


def test_the_tree_is_one_tree() -> None:
    assert issubclass(CasaviDeadlineExceeded, CasaviUnavailable)
    for kind in (CasaviUnavailable, CasaviRejected, CasaviNotFound):
        assert issubclass(kind, CasaviError)


def test_redact_blanks_every_secret() -> None:
    assert redact("key abc and token xyz", ["abc", "xyz", ""]) == "key *** and token ***"
