"""Issue 10 item 7: hostile input from an admin key is a 4xx problem and forges no log line.

Runs on PostgreSQL, which refuses NUL in text: what reached the database used to be a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from app.api.problems import EXCEPTION_HANDLERS
from app.asgi import create_app
from app.environment import Settings, load_settings

PROBLEM = "application/problem+json"
CONFIG = "/api/v1/systems/test/config"
NESTED = "[" * 1000 + "]" * 1000


def _assert_one_line_per_record(records: list[logging.LogRecord]) -> None:
    for record in records:
        message = record.getMessage()
        for forbidden in ("\n", "\r", "\u2028", "\x00"):
            assert forbidden not in message, message


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "field"),
    [
        # NUL and line breaks in path parameters (the key name reaches SQL and the logs).
        ("POST", "/api/v1/api-keys/%00/revoke", {}, 400, None),
        ("POST", "/api/v1/api-keys/a%0aFORGED%20log%20line/revoke", {}, 400, None),
        ("POST", "/api/v1/api-keys/a%0d%0aX/revoke", {}, 400, None),
        ("POST", "/api/v1/api-keys/a%e2%80%a8b/revoke", {}, 400, None),
        ("GET", "/api/v1/systems/test/tickets/portal-status?numbers=1%00", {}, 400, None),
        ("GET", "/api/v1/sync-runs?system=%0aFORGED", {}, 400, None),
        # JSON nested 1,000 deep: a decoder recursing into it used to fail with a 500.
        ("PUT", CONFIG, {"content": NESTED}, 400, None),
        ("PATCH", CONFIG, {"content": '{"a":' * 1000 + "1" + "}" * 1000}, 400, None),
        # NUL and control characters in configuration strings and URLs: 422 naming the field.
        (
            "PATCH",
            CONFIG,
            {"json": {"casavi": {"baseUrl": "https://x\u0000.example"}}},
            422,
            "casavi.baseUrl",
        ),
        ("PATCH", CONFIG, {"json": {"docuware": {"username": "a\nb"}}}, 422, "docuware.username"),
        (
            "PATCH",
            CONFIG,
            {"json": {"docuware": {"filters": ["ok", "x\u0000"]}}},
            422,
            "docuware.filters[1]",
        ),
        (
            "PATCH",
            CONFIG,
            {"json": {"ixhaus": {"tableNames": {"x\u0000": "T"}}}},
            422,
            "ixhaus.tableNames",
        ),
        (
            "PATCH",
            CONFIG,
            {
                "json": {
                    "secrets": {"casaviApiKey": {"value": "k\u0000", "confirmation": "k\u0000"}}
                }
            },
            422,
            "secrets.casaviApiKey.value",
        ),
        # issue 23 item 4: ids from outside have a declared pattern and length (a 500 on
        # PostgreSQL before, for NUL in the entity key).
        (
            "POST",
            "/api/v1/systems/test/records/resend",
            {"json": {"entityKey": "unit:1001\u0000/01"}},
            400,
            "entityKey",
        ),
        (
            "POST",
            "/api/v1/systems/test/records/resend",
            {"json": {"entityKey": "ticket:42\n"}},
            400,
            "entityKey",
        ),
        # A JSON value of the wrong type, then not JSON any more: the wrong type was found
        # first and the second decoding's error became a 500 (found by schemathesis).
        ("PUT", CONFIG, {"content": "5 x"}, 400, None),
        ("PATCH", CONFIG, {"content": "[1] ]"}, 400, None),
        # Bodies that are not JSON on JSON endpoints.
        ("PUT", CONFIG, {"content": "{}", "headers": {"Content-Type": "text/plain"}}, 415, None),
        (
            "PATCH",
            CONFIG,
            {"content": "a=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            415,
            None,
        ),
        ("PATCH", CONFIG, {"content": "{}", "headers": {"Content-Type": ""}}, 415, None),
    ],
)
async def test_hostile_input_is_a_4xx_problem_without_forged_log_lines(
    client: AsyncTestClient[Litestar],
    admin_key: str,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    # issue 10 item 7
    headers = {"X-API-Key": admin_key, **kwargs.pop("headers", {})}
    if "content" in kwargs and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    with caplog.at_level(logging.DEBUG):
        response = await client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in [error["field"] for error in body["errors"]]
    _assert_one_line_per_record(caplog.records)


async def test_json_merge_patch_media_type_is_accepted(
    client: AsyncTestClient[Litestar], admin_key: str
) -> None:
    response = await client.patch(
        CONFIG,
        content='{"personTypes": ["MIETER"]}',
        headers={"X-API-Key": admin_key, "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["personTypes"] == ["MIETER"]


async def test_the_catch_all_handler_logs_the_path_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # issue 10 item 7: `%0a` in a path used to write a second, forged log line.
    @get("/boom/{anything:str}", sync_to_thread=False)
    def boom(anything: FromPath[str]) -> None:
        raise RuntimeError("a bug")

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    async with AsyncTestClient(app) as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/boom/x%0a2026-01-01%20ERROR%20forged%0d%0a")
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "app.api.problems"]
    assert "/boom/x\\x0a2026-01-01 ERROR forged\\x0d\\x0a" in record.getMessage()
    _assert_one_line_per_record(caplog.records)


@pytest.fixture
def limited_settings(settings: Settings) -> Settings:
    return load_settings({"DATABASE_URL": settings.database_url, "AUTH_FAILURES_PER_MINUTE": "3"})


async def test_failed_authentication_is_rate_limited_per_client(
    limited_settings: Settings, admin_key: str
) -> None:
    # issue 10 item 7: after AUTH_FAILURES_PER_MINUTE failures, 429 with Retry-After.
    async with AsyncTestClient(create_app(limited_settings)) as client:
        assert (
            await client.get("/api/v1/api-keys", headers={"X-API-Key": admin_key})
        ).status_code == 200
        failures = [
            (await client.get("/api/v1/api-keys", headers=headers)).status_code
            for headers in ({"X-API-Key": "wrong"}, {}, {"X-API-Key": "pgw_guess"})
        ]
        assert failures == [401, 401, 401]
        limited = await client.get("/api/v1/api-keys", headers={"X-API-Key": "wrong again"})
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith(PROBLEM)
        assert limited.json()["type"] == "urn:portal-gateway:problem:too-many-requests"
        assert int(limited.headers["retry-after"]) >= 1
        # issue 23 item 2: a valid key is looked up first and passes even now.
        valid = await client.get("/api/v1/api-keys", headers={"X-API-Key": admin_key})
        assert valid.status_code == 200
        # Endpoints without authentication are not affected.
        assert (await client.get("/health/live")).status_code == 200
