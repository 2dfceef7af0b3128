"""Issue 23 items 4 and 5: every id from outside has a declared pattern and length; anything
else is a 400 problem on every backend, and no id is cut before its uniqueness check.

NUL in a signed callback's ids answered 500 on PostgreSQL (which refuses NUL in text) while
SQLite stored it, so casavi would retry that event forever; two event ids over 128
characters with a common head were one event (the second silently dropped as a duplicate).
On SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select, update

from app.adapters.casavi.callbacks import SIGNATURE_HEADER, sign
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ConfigChange, InboxEvent, SystemConfig, SystemSecret
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.environment import load_settings
from tests.support.backends import create_key

SECRET_KEY = base64.urlsafe_b64encode(b"hostile-ids-key-0123456789abcdef").decode()
CALLBACK_SECRET = "whsec-hostile-ids"
CALLBACK = "/api/v1/systems/test/callbacks/casavi"
PROBLEM = "application/problem+json"


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def _reset(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            for model in (InboxEvent, SystemSecret, ConfigChange):
                await session.execute(delete(model))
            await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def gateway(backend_url: str, redis_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The test system receiving callbacks; jobs go to a Redis queue nobody works on."""
    await _reset(backend_url)
    engine = create_engine(backend_url)
    try:
        async with create_session_factory(engine)() as session:
            await ConfigRows(session, SecretBox(SECRET_KEY)).patch(
                "test",
                {
                    "active": True,
                    "casavi": {"baseUrl": "http://127.0.0.1:9"},
                    "secrets": {
                        "casaviApiKey": _twice("k"),
                        "casaviSecret": _twice("s"),
                        "callbackSecret": _twice(CALLBACK_SECRET),
                    },
                },
                "test",
            )
            await session.commit()
    finally:
        await engine.dispose()
    settings = load_settings(
        {
            "DATABASE_URL": backend_url,
            "GATEWAY_SECRET_KEY": SECRET_KEY,
            "REDIS_URL": redis_url,
            "ARQ_QUEUE_NAME": f"pgw-hostile-ids:{uuid.uuid4().hex[:8]}",
        }
    )
    try:
        async with AsyncTestClient(create_app(settings)) as client:
            yield client
    finally:
        await _reset(backend_url)


async def _stored_ids(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list(await session.scalars(select(InboxEvent.external_id)))
    finally:
        await engine.dispose()


def _event(event_id: str = "evt_1", ticket_id: str = "cv-1", **data: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "ticket.message.created",
        "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"ticketId": ticket_id, **data},
    }


async def _post(client: AsyncTestClient[Litestar], event: dict[str, Any]) -> Any:
    body = msgspec.json.encode(event)
    return await client.post(
        CALLBACK,
        content=body,
        headers={
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(body, [CALLBACK_SECRET]),
        },
    )


HOSTILE = ["a\x00b", "a\r\nb", "a\nb", "a\n", "a\u2028b", "a\x1bb", "a\x85b", ""]


HOSTILE_EVENTS = [
    *[_event(event_id=value) for value in HOSTILE],
    *[_event(ticket_id=value) for value in HOSTILE],
    *[_event(messageId=value) for value in HOSTILE],
    *[_event(documentId=value) for value in HOSTILE],
    _event(changedFields=["subject", "x\x00"]),
    _event(event_id="e" * 257),
    _event(ticket_id="t" * 101),
    _event(messageId="m" * 101),
]


async def test_a_callback_with_a_hostile_id_is_a_400_and_nothing_is_stored(
    gateway: AsyncTestClient[Litestar], backend_url: str
) -> None:
    # issue 23 item 4: NUL was a 500 on PostgreSQL before (and stored on SQLite), CR/LF and
    # the other control characters were stored on both.
    for event in HOSTILE_EVENTS:
        response = await _post(gateway, event)
        assert response.status_code == 400, (event, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    assert await _stored_ids(backend_url) == []


async def test_long_event_ids_with_a_common_head_are_two_events(
    gateway: AsyncTestClient[Litestar], backend_url: str
) -> None:
    # issue 23 item 5: ids were cut to 128 characters before the duplicate check.
    head = "evt_" + "x" * 150
    first, second = _event(event_id=head + "-1"), _event(event_id=head + "-2")
    answers = [await _post(gateway, event) for event in (first, second, first)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json()["duplicate"] for a in answers] == [False, False, True]
    stored = await _stored_ids(backend_url)
    assert len(stored) == 2
    assert all(len(value) <= 128 for value in stored)
    # An id as long as the column is kept as it is.
    exact = "evt_" + "y" * 124
    assert (await _post(gateway, _event(event_id=exact))).json()["duplicate"] is False
    assert exact in await _stored_ids(backend_url)


HOSTILE_KEYS = [
    "unit:1001\x00/01",
    "ticket:4\r\n2",
    "ticket:42\n",
    "unit:" + "1" * 124,
    "ticket:4\u20282",
]


async def test_a_hostile_entity_key_is_a_400(
    gateway: AsyncTestClient[Litestar], backend_url: str
) -> None:
    # issue 23 item 4: POST …/records/resend with NUL in the entity key was a 500 on
    # PostgreSQL; a key longer than the ledger's column is refused as well.
    key = await create_key(backend_url, "ixhaus")
    for entity_key in HOSTILE_KEYS:
        response = await gateway.post(
            "/api/v1/systems/test/records/resend",
            json={"entityKey": entity_key},
            headers={"X-API-Key": key},
        )
        assert response.status_code == 400, (entity_key, response.text)
        problem = response.json()
        assert problem["status"] == 400
        assert [error["field"] for error in problem["errors"]] == ["entityKey"]
