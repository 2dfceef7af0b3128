"""API-key authentication and scopes; every failure is an RFC 9457 problem."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.adapters.store.api_keys import hash_key

PROBLEM = "application/problem+json"


async def test_missing_key_is_401_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/sync-runs")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith(":unauthenticated")
    assert "X-API-Key" in body["detail"]


async def test_wrong_key_is_401(client: AsyncTestClient[Litestar], ixhaus_key: str) -> None:
    response = await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key + "x"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    # The problem never echoes the key that was sent.
    assert ixhaus_key not in response.text


async def test_wrong_scope_is_403(client: AsyncTestClient[Litestar], ixhaus_key: str) -> None:
    response = await client.get("/api/v1/api-keys", headers={"X-API-Key": ixhaus_key})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "admin" in response.json()["detail"]


async def test_right_scopes_pass(
    client: AsyncTestClient[Litestar], ixhaus_key: str, admin_key: str
) -> None:
    assert (
        await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key})
    ).status_code == 200
    # admin keys may call the iX-Haus plus operations too
    assert (
        await client.get("/api/v1/sync-runs", headers={"X-API-Key": admin_key})
    ).status_code == 200
    listing = await client.get("/api/v1/api-keys", headers={"X-API-Key": admin_key})
    assert listing.status_code == 200
    # Listings carry names, scopes and prefixes, never keys or hashes.
    assert admin_key not in listing.text
    assert hash_key(admin_key) not in listing.text
    assert {"name", "scope", "prefix", "createdAt", "revokedAt"} == set(listing.json()["items"][0])


async def test_revoked_key_stops_working(
    client: AsyncTestClient[Litestar], ixhaus_key: str, admin_key: str
) -> None:
    headers = {"X-API-Key": admin_key}
    keys = (await client.get("/api/v1/api-keys", headers=headers)).json()["items"]
    prefix = ixhaus_key.split("_")[1]
    name = next(k["name"] for k in keys if k["prefix"] == prefix)
    revoked = await client.post(f"/api/v1/api-keys/{name}/revoke", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    response = await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key})
    assert response.status_code == 401


async def test_revoking_unknown_key_is_404(
    client: AsyncTestClient[Litestar], admin_key: str
) -> None:
    response = await client.post("/api/v1/api-keys/nobody/revoke", headers={"X-API-Key": admin_key})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
