"""API-key authentication and scopes; every failure is an RFC 9457 problem."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from app.adapters.store.api_keys import ApiKeyRepository, hash_key
from app.adapters.store.database import create_engine, create_session_factory
from app.api.auth import KEY_CACHE_SECONDS, KeyCache

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


async def test_a_key_revoked_over_the_api_stops_at_once_though_it_was_just_used(
    client: AsyncTestClient[Litestar], ixhaus_key: str, admin_key: str
) -> None:
    # The key is verified (and remembered by this process) before it is revoked.
    assert (
        await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key})
    ).status_code == 200
    admin = {"X-API-Key": admin_key}
    keys = (await client.get("/api/v1/api-keys", headers=admin)).json()["items"]
    name = next(k["name"] for k in keys if k["prefix"] == ixhaus_key.split("_")[1])
    assert (await client.post(f"/api/v1/api-keys/{name}/revoke", headers=admin)).status_code == 200
    response = await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key})
    assert response.status_code == 401


async def test_a_key_revoked_elsewhere_stops_within_the_cache_bound(
    app: Litestar, migrated_pg: str, ixhaus_key: str
) -> None:
    # Revoked by another process (the CLI, another API worker): this process trusts the key
    # it verified for at most KEY_CACHE_SECONDS, then asks the database again.
    now = [0.0]
    app.state.api_key_cache = KeyCache(clock=lambda: now[0])
    headers = {"X-API-Key": ixhaus_key}
    async with AsyncTestClient(app) as client:
        assert (await client.get("/api/v1/sync-runs", headers=headers)).status_code == 200
        engine = create_engine(migrated_pg)
        try:
            async with create_session_factory(engine)() as session:
                repo = ApiKeyRepository(session)
                name = next(k.name for k in await repo.list() if k.key_hash == hash_key(ixhaus_key))
                await repo.revoke(name)
                await session.commit()
        finally:
            await engine.dispose()
        now[0] += KEY_CACHE_SECONDS - 1
        assert (await client.get("/api/v1/sync-runs", headers=headers)).status_code == 200
        now[0] += 1
        assert (await client.get("/api/v1/sync-runs", headers=headers)).status_code == 401


async def test_an_authenticated_read_takes_one_pooled_connection(
    app: Litestar, ixhaus_key: str
) -> None:
    # Issue 13 item 10: the key lookup opens no second database session per request; with the
    # key verified, a bulk portal status read checks out exactly one connection.
    checkouts: list[object] = []
    engine = app.state.engine.sync_engine
    headers = {"X-API-Key": ixhaus_key}
    url = "/api/v1/systems/test/tickets/portal-status?number=1&number=2"

    def checked_out(*_: object) -> None:
        checkouts.append(object())

    async with AsyncTestClient(app) as client:
        assert (await client.get(url, headers=headers)).status_code == 200
        event.listen(engine, "checkout", checked_out)
        try:
            for _ in range(3):
                assert (await client.get(url, headers=headers)).status_code == 200
        finally:
            event.remove(engine, "checkout", checked_out)
    assert len(checkouts) == 3
