"""Schemathesis against the whole generated spec, in-process over ASGI, with a valid API key.

Issue 10 item 8: positive and negative data, at least 100 examples per operation, and the
stateful links schemathesis infers (listing keys -> revoking one), under every check that
applies to this API. The run must find nothing.

- 422 counts as accepting schema-valid data: the configuration is checked beyond its shape
  (overlapping object ranges, a secret's confirmation, an active system without secrets...),
  which no schema can state; the body's shape itself comes from msgspec and cannot drift.
- The key the run authenticates with is never revoked: a revoke aimed at it (the stateful link
  offers every listed key) revokes a decoy key instead.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.asgi import create_app
from app.configuration.secrets import new_key
from app.environment import load_settings

MAX_EXAMPLES = 100
KEY_NAME = "schemathesis"
DECOY_NAME = "schemathesis-decoy"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    ignored_auth,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]


def _setup() -> tuple[object, str]:
    # SQLite in a temporary file: the ASGI client of schemathesis drives the app from its
    # own threads and event loops, which a pooled asyncpg engine must not be shared across.
    path = Path(tempfile.mkdtemp()) / f"schemathesis-{uuid.uuid4().hex[:6]}.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)

    async def make_keys() -> str:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            _, key = await ApiKeyRepository(session).create(KEY_NAME, "admin")
            await ApiKeyRepository(session).create(DECOY_NAME, "ixhaus")
            await session.commit()
        await engine.dispose()
        return key

    key = asyncio.run(make_keys())
    settings = load_settings(
        {
            "DATABASE_URL": url,
            "GATEWAY_SECRET_KEY": new_key(),
            # ignored_auth sends wrong keys on purpose, thousands of times.
            "AUTH_FAILURES_PER_MINUTE": "1000000",
        }
    )
    return create_app(settings), key


APP, KEY = _setup()
HEADERS = {"X-API-Key": KEY}
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
)
# The run authenticates like a client does; negative cases that drop the header get a 401.
schema.config.update(headers=dict(HEADERS))
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "401", "403", "404", "409", "422"]
)


def _spare_own_key(case: schemathesis.Case) -> None:
    params = case.path_parameters
    if case.operation.path.endswith("/revoke") and params and params.get("name") == KEY_NAME:
        params["name"] = DECOY_NAME


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case) -> None:
    _spare_own_key(case)
    case.call_and_validate(checks=CHECKS)


class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def before_call(self, case: schemathesis.Case) -> None:
        _spare_own_key(case)

    def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
        super().validate_response(
            response,
            case,
            additional_checks=[*CHECKS, use_after_free, ensure_resource_availability],
            **kwargs,
        )


TestStatefulLinks = APIWorkflow.TestCase
TestStatefulLinks.settings = settings(
    max_examples=MAX_EXAMPLES,
    stateful_step_count=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
