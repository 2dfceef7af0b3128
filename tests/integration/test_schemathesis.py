"""Schemathesis against the whole generated spec, in-process over ASGI, with a valid API key.

Issue 10 item 8: positive and negative data, at least 100 examples per operation, and the
stateful links schemathesis infers (listing keys -> revoking one), under every check that
applies to this API. The run must find nothing.

- 422 counts as accepting schema-valid data: the configuration is checked beyond its shape
  (overlapping object ranges, a secret's confirmation, an active system without secrets...),
  which no schema can state; the body's shape itself comes from msgspec and cannot drift.
- The key the run authenticates with is never revoked: a revoke aimed at it (the stateful link
  offers every listed key) revokes a decoy key instead.
- The spec is the committed ``openapi/gateway.json``, which is what the app serves (the
  ``app_under_test`` fixture checks, and ``tests/test_openapi.py``): the app itself (migrations,
  ``create_app``: ~2.6 s, and a lifespan whose alert loop ran on) is built only where these
  tests run, not in every xdist worker that imports this file to collect it. The run's key is
  chosen here, as schemathesis fixes each test's headers when it collects.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar import Litestar
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
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
from app.adapters.store.api_keys import ApiKeyRepository, hash_key, new_key
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ApiKey
from app.asgi import create_app
from app.configuration.secrets import new_key as new_secret_key
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


SPEC = Path(__file__).resolve().parents[2] / "openapi" / "gateway.json"
KEY, KEY_PREFIX = new_key()
HEADERS = {"X-API-Key": KEY}


def _build() -> Litestar:
    # SQLite in a temporary file: the ASGI client of schemathesis drives the app from its
    # own threads and event loops, which a pooled asyncpg engine must not be shared across.
    path = Path(tempfile.mkdtemp()) / f"schemathesis-{uuid.uuid4().hex[:6]}.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)

    async def make_keys() -> None:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            session.add(
                ApiKey(name=KEY_NAME, scope="admin", prefix=KEY_PREFIX, key_hash=hash_key(KEY))
            )
            await ApiKeyRepository(session).create(DECOY_NAME, "ixhaus")
            await session.commit()
        await engine.dispose()

    asyncio.run(make_keys())
    settings = load_settings(
        {
            "DATABASE_URL": url,
            "GATEWAY_SECRET_KEY": new_secret_key(),
            # ignored_auth sends wrong keys on purpose, thousands of times.
            "AUTH_FAILURES_PER_MINUTE": "1000000",
        }
    )
    return create_app(settings)


class AppUnderTest:
    """The ASGI app schemathesis calls (its lifespan included): the gateway, once the
    ``app_under_test`` fixture has built it."""

    def __init__(self) -> None:
        self.app: Litestar | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:
            raise RuntimeError("the app_under_test fixture has not built the app")
        await self.app(scope, receive, send)


APP = AppUnderTest()
schema = schemathesis.openapi.from_path(SPEC)
schema.app = APP  # as from_asgi would set them
schema.location = "/schema/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def app_under_test() -> None:
    APP.app = _build()
    generated = json.loads(json.dumps(APP.app.openapi_schema.to_schema()))
    assert generated == json.loads(SPEC.read_text(encoding="utf-8")), "run `portal-gateway openapi`"


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


def _spare_own_key(case: schemathesis.Case[Any]) -> None:
    params = case.path_parameters
    if case.operation.path.endswith("/revoke") and params and params.get("name") == KEY_NAME:
        params["name"] = DECOY_NAME


# One test per operation, its cases built when it runs: schemathesis' own parametrize builds
# every operation's cases (~1,150 coverage cases for the configuration body alone) when it
# collects, ~4 s of CPU in every xdist worker though one worker runs this file. Its lazy
# schema builds them in the test, for the operations its filter lets through: the one that
# the test's parameter selected.
def _labels() -> list[str]:
    labels = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation schemathesis cannot read fails the collection
        labels.append(result.ok().label)
    return labels


OPERATIONS = _labels()
_SELECTED: list[str] = []


@pytest.fixture(params=OPERATIONS)
def one_operation(request: pytest.FixtureRequest) -> BaseSchema:
    _SELECTED[:] = [request.param]
    # schemathesis' lazy test names its subtest through ``_nodeid``, which pytest 9.2 no
    # longer keeps (it reads and restores it; the report keeps the item's own id).
    setattr(request.node, "_nodeid", request.node.nodeid)  # noqa: B010
    return schema


lazy_schema = schemathesis.pytest.from_fixture("one_operation").include(
    lambda ctx: [ctx.operation.label] == _SELECTED
)


@lazy_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case[Any]) -> None:
    _spare_own_key(case)
    case.call_and_validate(checks=CHECKS)


class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    def before_call(self, case: schemathesis.Case[Any]) -> None:
        _spare_own_key(case)

    def validate_response(self, response: Any, case: schemathesis.Case[Any], **kwargs: Any) -> None:
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
