"""Secrets at rest (rule C2): ciphertext in the database, fail closed without the right key."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ConfigChange, SystemSecret
from app.asgi import create_app
from app.configuration.secrets import SecretBox, SecretsUnavailable, new_key
from app.environment import Settings, load_settings
from tests.integration.configuration.conftest import SECRET_KEY, RecordingClient, unique_secret
from tests.leakcheck import SecretLeakCheck

TEST = "/api/v1/systems/test/config"


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def _raw_secret(database_url: str, name: str) -> bytes:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            row = await session.scalar(
                select(SystemSecret).where(SystemSecret.system == "test", SystemSecret.name == name)
            )
            assert row is not None
            return row.ciphertext
    finally:
        await engine.dispose()


async def test_the_database_holds_only_ciphertext(
    admin: RecordingClient, leak_check: SecretLeakCheck, migrated_pg: str
) -> None:
    # rule C2: never stored in plain text
    secret = leak_check.use(unique_secret("casavi-secret"))
    response = await admin.patch(TEST, {"secrets": {"casaviSecret": _twice(secret)}})
    assert response.status_code == 200
    raw = await _raw_secret(migrated_pg, "casavi_secret")
    assert secret.encode() not in raw
    assert len(raw) >= len(secret) + 12 + 16  # nonce + tag: authenticated encryption
    assert SecretBox(SECRET_KEY).decrypt("test", "casavi_secret", raw) == secret
    # Bound to its row: the same ciphertext does not open as another system's or name's.
    with pytest.raises(SecretsUnavailable):
        SecretBox(SECRET_KEY).decrypt("production", "casavi_secret", raw)
    with pytest.raises(SecretsUnavailable):
        SecretBox(SECRET_KEY).decrypt("test", "casavi_api_key", raw)


async def test_a_wrong_key_fails_closed(
    admin: RecordingClient, leak_check: SecretLeakCheck, migrated_pg: str, admin_key: str
) -> None:
    secret = leak_check.use(unique_secret("ixhaus-url"))
    await admin.patch(TEST, {"secrets": {"ixhausDatabaseUrl": _twice(secret)}})
    raw = await _raw_secret(migrated_pg, "ixhaus_database_url")
    with pytest.raises(SecretsUnavailable, match="wrong key"):
        SecretBox(new_key()).decrypt("test", "ixhaus_database_url", raw)

    wrong = load_settings({"DATABASE_URL": migrated_pg, "GATEWAY_SECRET_KEY": new_key()})
    async with AsyncTestClient(create_app(wrong)) as client:
        response = await client.post("/api/v1/systems/test/check", headers={"X-API-Key": admin_key})
        leak_check.seen(response)
    assert response.status_code == 200
    assert response.json()["ixhaus"] == {
        "status": "failed",
        "reason": "The stored secret ixhaus_database_url cannot be decrypted with "
        "GATEWAY_SECRET_KEY (wrong key?).",
    }


async def test_rotation_old_key_still_decrypts_new_key_encrypts(
    admin: RecordingClient, leak_check: SecretLeakCheck, migrated_pg: str
) -> None:
    secret = leak_check.use(unique_secret("callback"))
    await admin.patch(TEST, {"secrets": {"callbackSecret": _twice(secret)}})
    raw = await _raw_secret(migrated_pg, "callback_secret")
    rotated = SecretBox(f"{new_key()},{SECRET_KEY}")
    assert rotated.decrypt("test", "callback_secret", raw) == secret


async def test_without_a_key_secrets_are_refused_and_nothing_is_written(
    migrated_pg: str, admin_key: str, leak_check: SecretLeakCheck
) -> None:
    secret = leak_check.use(unique_secret("casavi-key"))
    no_key: Settings = load_settings({"DATABASE_URL": migrated_pg})
    async with AsyncTestClient(create_app(no_key)) as client:
        headers = {"X-API-Key": admin_key}
        response = await client.patch(
            TEST,
            headers=headers,
            json={"ticketUserNumber": "042", "secrets": {"casaviApiKey": _twice(secret)}},
        )
        leak_check.seen(response)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "GATEWAY_SECRET_KEY" in response.json()["detail"]
        after = (await client.get(TEST, headers=headers)).json()
    # Neither the secret nor the other field of the same request was saved.
    assert after["ticketUserNumber"] is None
    assert after["secrets"]["casaviApiKey"]["isSet"] is False
    engine = create_engine(migrated_pg)
    try:
        async with create_session_factory(engine)() as session:
            assert (await session.scalars(select(ConfigChange))).all() == []
    finally:
        await engine.dispose()
