"""Issue 23 item 2: failed authentications cannot lock out a valid key.

Failures are counted per client address and per presented key prefix, a presented key is
looked up before it is refused for its address's failures, and ``X-Forwarded-For`` counts
only from the proxies in ``TRUSTED_PROXIES``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from app.asgi import create_app
from app.environment import load_settings
from tests.support.backends import create_key, revoke_key

KEYS = "/api/v1/api-keys"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROXY = "10.0.0.1"


def _app(database_url: str) -> Litestar:
    return create_app(
        load_settings(
            {
                "DATABASE_URL": database_url,
                "AUTH_FAILURES_PER_MINUTE": "3",
                "TRUSTED_PROXIES": f"{PROXY}, 10.0.1.0/24",
            }
        )
    )


@asynccontextmanager
async def _from(app: Litestar, peer: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose connections come from ``peer``."""
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def _shutdown(app: Litestar) -> None:
    for hook in app.on_shutdown:
        await hook(app)  # type: ignore[call-arg,misc]


def _wrong(n: int) -> str:
    """A well-formed key nobody issued, with its own prefix."""
    return f"pgw_{n:08x}_{'x' * 43}"


async def test_a_valid_key_passes_after_its_address_used_up_its_failures(
    backend_url: str,
) -> None:
    # issue 23 item 2: one misconfigured client behind a shared address (NAT, proxy) used to
    # lock every key out of that address (429 for a valid admin key): the limit was checked
    # before the key was looked up.
    admin_key = await create_key(backend_url, "admin")
    ixhaus_key = await create_key(backend_url, "ixhaus")
    app = _app(backend_url)
    try:
        async with _from(app, "192.0.2.10") as client:
            statuses = [
                (await client.get(KEYS, headers={"X-API-Key": _wrong(n)})).status_code
                for n in range(5)
            ]
            assert statuses == [401, 401, 401, 429, 429]
            assert (await client.get(KEYS)).status_code == 429  # no key: the address's budget
            assert (await client.get(KEYS, headers={"X-API-Key": admin_key})).status_code == 200
            runs = await client.get("/api/v1/sync-runs", headers={"X-API-Key": ixhaus_key})
            assert runs.status_code == 200
            # Not a valid key: still refused, and told to wait.
            refused = await client.get(KEYS, headers={"X-API-Key": _wrong(9)})
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
        async with _from(app, "192.0.2.11") as elsewhere:
            # Another address has its own budget.
            fresh = await elsewhere.get(KEYS, headers={"X-API-Key": _wrong(10)})
            assert fresh.status_code == 401
    finally:
        await _shutdown(app)


async def test_a_revoked_key_is_limited_by_its_prefix_from_any_address(backend_url: str) -> None:
    # issue 23 item 2: failures count per presented key prefix too: a client that keeps
    # presenting its revoked key is told to back off even from ever new addresses, while a
    # valid key through the same proxy passes.
    name = f"old-{uuid.uuid4().hex[:8]}"
    revoked = await create_key(backend_url, "ixhaus", name)
    await revoke_key(backend_url, name)
    valid = await create_key(backend_url, "admin")
    app = _app(backend_url)
    try:
        async with _from(app, PROXY) as proxy:
            statuses = [
                (
                    await proxy.get(
                        KEYS, headers={"X-API-Key": revoked, "X-Forwarded-For": f"203.0.113.{n}"}
                    )
                ).status_code
                for n in range(5)
            ]
            assert statuses == [401, 401, 401, 429, 429]
            for n in range(5):
                passed = await proxy.get(
                    KEYS, headers={"X-API-Key": valid, "X-Forwarded-For": f"203.0.113.{n}"}
                )
                assert passed.status_code == 200
    finally:
        await _shutdown(app)


async def test_forwarded_for_counts_only_from_a_trusted_proxy(backend_url: str) -> None:
    # issue 23 item 2: behind a trusted proxy each client has its own budget; a client that
    # is no trusted proxy cannot dodge its budget by sending X-Forwarded-For itself, nor by
    # putting addresses in front of what the proxy appends.
    app = _app(backend_url)
    try:
        async with _from(app, "10.0.1.7") as proxy:
            for n in range(6):
                response = await proxy.get(
                    KEYS,
                    headers={"X-API-Key": _wrong(100 + n), "X-Forwarded-For": f"198.51.100.{n}"},
                )
                assert response.status_code == 401, n
            spoofed = [
                (
                    await proxy.get(
                        KEYS,
                        headers={
                            "X-API-Key": _wrong(200 + n),
                            "X-Forwarded-For": f"192.0.2.{n}, 198.51.100.99",
                        },
                    )
                ).status_code
                for n in range(5)
            ]
            assert spoofed == [401, 401, 401, 429, 429]
        async with _from(app, "192.0.2.50") as direct:
            dodging = [
                (
                    await direct.get(
                        KEYS,
                        headers={"X-API-Key": _wrong(300 + n), "X-Forwarded-For": f"192.0.2.{n}"},
                    )
                ).status_code
                for n in range(5)
            ]
            assert dodging == [401, 401, 401, 429, 429]
    finally:
        await _shutdown(app)


async def test_a_valid_admin_key_signs_in_to_the_console_after_failed_sign_ins(
    backend_url: str,
) -> None:
    # issue 23 item 2: failed console sign-ins from an address used to block every sign-in
    # from it for 15 minutes, a valid admin key's included.
    admin_key = await create_key(backend_url, "admin")
    app = _app(backend_url)
    try:
        async with _from(app, "192.0.2.30") as client:
            page = await client.get("/console/signin")
            found = CSRF.search(page.text)
            assert found is not None
            token = found.group(1)
            statuses = [
                (
                    await client.post(
                        "/console/signin", data={"csrf_token": token, "api_key": _wrong(400 + n)}
                    )
                ).status_code
                for n in range(7)
            ]
            assert statuses == [401] * 5 + [429] * 2
            signed_in = await client.post(
                "/console/signin", data={"csrf_token": token, "api_key": admin_key}
            )
            assert signed_in.status_code == 303, signed_in.text
            assert (await client.get("/console")).status_code == 200
    finally:
        await _shutdown(app)


async def test_forwarded_proto_counts_only_from_a_trusted_proxy(backend_url: str) -> None:
    # issue 23 item 2: behind a TLS-terminating proxy in TRUSTED_PROXIES the console's cookie
    # is Secure; a client cannot claim https for itself.
    app = _app(backend_url)
    try:
        async with _from(app, PROXY) as proxy:
            page = await proxy.get("/console/signin", headers={"X-Forwarded-Proto": "https"})
            assert "secure" in page.headers["set-cookie"].lower()
        async with _from(app, "192.0.2.60") as direct:
            page = await direct.get("/console/signin", headers={"X-Forwarded-Proto": "https"})
            assert "secure" not in page.headers["set-cookie"].lower()
    finally:
        await _shutdown(app)
