"""Schemathesis against the whole generated spec, in-process over ASGI, with a valid API key."""

from __future__ import annotations

import asyncio
import uuid

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.asgi import create_app
from app.config import load_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _setup() -> tuple[object, str]:
    import tempfile
    from pathlib import Path

    # SQLite in a temporary file: the ASGI client of schemathesis drives the app from its
    # own threads and event loops, which a pooled asyncpg engine must not be shared across.
    path = Path(tempfile.mkdtemp()) / f"schemathesis-{uuid.uuid4().hex[:6]}.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)

    async def make_key() -> str:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create("schemathesis", "admin")
            await session.commit()
        await engine.dispose()
        return key

    key = asyncio.run(make_key())
    from app.configuration.secrets import new_key

    settings = load_settings({"DATABASE_URL": url, "GATEWAY_SECRET_KEY": new_key()})
    return create_app(settings), key


APP, KEY = _setup()
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)
# Both valid and invalid data: invalid input must be a documented 4xx, never a 500.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-API-Key": KEY}, checks=CHECKS)
