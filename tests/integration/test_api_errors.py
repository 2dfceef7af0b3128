"""Unknown routes, wrong methods and bad parameters are 4xx problems, never 500."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("DELETE", "/health/live", 405),
        ("GET", "/api/v1/sync-runs?limit=0", 400),
        ("GET", "/api/v1/sync-runs?limit=abc", 400),
        ("GET", "/api/v1/sync-runs?system=staging", 400),
        ("GET", "/api/v1/sync-runs/0", 400),
        ("GET", "/api/v1/sync-runs/abc", 404),
        ("GET", "/api/v1/sync-runs/999999", 404),
        ("POST", "/api/v1/systems/staging/sync-runs", 400),
    ],
)
async def test_bad_requests_are_problems(
    client: AsyncTestClient[Litestar], ixhaus_key: str, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers={"X-API-Key": ixhaus_key})
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"]
