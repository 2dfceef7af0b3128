"""The console's defences over plain HTTP against the real gateway: CSRF, session expiry and
revocation, scope refusal, the sign-in rate limit, one-time links, cookies and headers, and
no secret or API key in any page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest

from app.adapters.store.console_sessions import DatabaseStore
from app.console.sessions import MAX_FAILED_SIGNINS
from app.domain.calendar import utcnow
from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET
from tests.e2e.console.conftest import Gateway, _key, csrf_of, http_sign_in, run_apart


@pytest.fixture
def operator(gateway: Gateway) -> Iterator[tuple[httpx.Client, str]]:
    client, token = http_sign_in(gateway, gateway.admin_key)
    try:
        yield client, token
    finally:
        client.close()


def _settings_version(client: httpx.Client) -> str:
    found = re.search(r"Version (\d+)", client.get("/console/systems/production/settings").text)
    return found.group(1) if found else "0"


def test_every_post_without_the_sessions_csrf_token_is_refused(
    operator: tuple[httpx.Client, str],
) -> None:
    client, token = operator
    before = _settings_version(client)
    form = {"schedule.intervalMinutes": "9", "portalAccountLeadDays": "1"}
    for data in (form, {**form, "csrf_token": "forged"}):
        refused = client.post("/console/systems/production/settings", data=data)
        assert refused.status_code == 403
        assert "Sicherheits-Token" in refused.text
    for path in ("/console/systems/test/runs", "/console/signout", "/console/keys"):
        assert client.post(path, data={"name": "x", "scope": "admin"}).status_code == 403
    assert client.post("/console/language", data={"language": "en"}).status_code == 403
    assert _settings_version(client) == before
    # Still signed in: the forged requests changed nothing, not even the session.
    assert client.get("/console").status_code == 200
    # The token works as a form field and as a header (htmx).
    switched = client.post("/console/language", data={"csrf_token": token, "language": "de"})
    assert switched.status_code == 303
    checked = client.post("/console/systems/production/check", headers={"X-CSRF-Token": token})
    assert checked.status_code == 303


def test_an_idle_session_expires_and_activity_keeps_it_alive(
    gateway: Gateway, operator: tuple[httpx.Client, str]
) -> None:
    client, _ = operator
    # The fixture runs without Redis: sessions live in the gateway's database, whose store
    # keeps the idle time on the clock it is given.
    store = gateway.console.store
    assert isinstance(store, DatabaseStore)
    start = utcnow()
    try:
        store.clock = lambda: start + dt.timedelta(minutes=29)
        assert client.get("/console").status_code == 200
        store.clock = lambda: start + dt.timedelta(minutes=58)  # 29 idle minutes again
        assert client.get("/console").status_code == 200
        store.clock = lambda: start + dt.timedelta(minutes=89)  # 31 idle minutes
        expired = client.get("/console/protocol")
    finally:
        store.clock = utcnow
    assert expired.status_code == 401
    assert "Ihre Sitzung ist abgelaufen" in expired.text
    assert client.get("/console").status_code == 401


def test_an_ixhaus_key_cannot_sign_in(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.base_url) as client:
        token = csrf_of(client.get("/console/signin").text)
        refused = client.post(
            "/console/signin", data={"csrf_token": token, "api_key": gateway.ixhaus_key}
        )
        assert refused.status_code == 403
        assert "„ixhaus“ können sich nicht an der Konsole anmelden" in refused.text
        assert client.get("/console").status_code == 401
    gateway.console.limiter.succeeded("127.0.0.1")


def test_revoking_the_key_ends_its_sessions_at_once(gateway: Gateway) -> None:
    key = run_apart(_key(gateway.paths.gateway, "short-lived", "admin"))
    client, _ = http_sign_in(gateway, key)
    try:
        assert client.get("/console").status_code == 200
        revoked = httpx.post(
            f"{gateway.base_url}/api/v1/api-keys/short-lived/revoke",
            headers={"X-API-Key": gateway.admin_key},
        )
        assert revoked.status_code == 200
        assert client.get("/console").status_code == 401
    finally:
        client.close()


def test_failed_sign_ins_are_limited_per_client(gateway: Gateway) -> None:
    try:
        with httpx.Client(base_url=gateway.base_url) as client:
            token = csrf_of(client.get("/console/signin").text)
            for _ in range(MAX_FAILED_SIGNINS):
                wrong = client.post(
                    "/console/signin", data={"csrf_token": token, "api_key": "pgw_nope"}
                )
                assert wrong.status_code == 401
            blocked = client.post(
                "/console/signin", data={"csrf_token": token, "api_key": "pgw_nope_again"}
            )
            assert blocked.status_code == 429
            assert "Zu viele fehlgeschlagene Anmeldungen" in blocked.text
            # issue 23 item 2: a valid admin key still signs in from this address.
            signed_in = client.post(
                "/console/signin", data={"csrf_token": token, "api_key": gateway.admin_key}
            )
            assert signed_in.status_code == 303
    finally:
        gateway.console.limiter.succeeded("127.0.0.1")


def test_a_one_time_sign_in_link_works_once(gateway: Gateway) -> None:
    token = run_apart(gateway.console.links.issue("demo"))
    with httpx.Client(base_url=gateway.base_url) as client:
        first = client.get(f"/console/signin?token={token}")
        assert first.status_code == 303
        assert first.headers["location"] == "/console"
        assert client.get("/console").status_code == 200
    with httpx.Client(base_url=gateway.base_url) as other:
        again = other.get(f"/console/signin?token={token}")
        assert again.status_code == 400
        assert "ungültig, abgelaufen oder wurde schon benutzt" in again.text
    gateway.console.limiter.succeeded("127.0.0.1")


def test_the_cookies_and_the_security_headers(gateway: Gateway) -> None:
    answer = httpx.get(f"{gateway.base_url}/console/signin")
    # No session before a sign-in: the sign-in page sets only its form token's cookie.
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("pgw_console_form=")
    assert len(answer.headers.get_list("set-cookie")) == 1
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    gateway.console.secure_cookie_always = True  # CONSOLE_SECURE_COOKIE=always (TLS proxy)
    try:
        behind_proxy = httpx.get(f"{gateway.base_url}/console/signin")
    finally:
        gateway.console.secure_cookie_always = False
    assert "Secure" in behind_proxy.headers["set-cookie"]


def test_signing_in_sets_a_fresh_session_cookie_and_never_adopts_a_planted_one(
    gateway: Gateway,
) -> None:
    with httpx.Client(base_url=gateway.base_url) as client:
        token = csrf_of(client.get("/console/signin").text)
        client.cookies.set("pgw_console", "planted-by-someone", path="/console")
        answer = client.post(
            "/console/signin", data={"csrf_token": token, "api_key": gateway.admin_key}
        )
        assert answer.status_code == 303
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "pgw_console=" in c)
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/console" in cookie
        session = cookie.split(";")[0].removeprefix("pgw_console=")
        assert session not in ("", "planted-by-someone")
    with httpx.Client(base_url=gateway.base_url, cookies={"pgw_console": session}) as fresh:
        assert fresh.get("/console").status_code == 200


def test_the_sign_in_form_needs_its_signed_double_submit_token(gateway: Gateway) -> None:
    with httpx.Client(base_url=gateway.base_url) as client:
        token = csrf_of(client.get("/console/signin").text)
        body, _, _ = token.rpartition(".")
        key = gateway.admin_key
        cases = [
            ({}, token),  # the field without the cookie
            ({"pgw_console_form": token}, ""),  # the cookie without the field
            ({"pgw_console_form": token}, csrf_of(client.get("/console/signin").text) + "x"),
            ({"pgw_console_form": body + ".forged"}, body + ".forged"),  # not signed by us
        ]
        for cookies, field in cases:
            with httpx.Client(base_url=gateway.base_url, cookies=cookies) as other:
                refused = other.post("/console/signin", data={"csrf_token": field, "api_key": key})
                assert refused.status_code == 403
                assert "pgw_console=" not in refused.headers.get("set-cookie", "")


def test_no_page_contains_a_secret_or_an_api_key(
    gateway: Gateway, operator: tuple[httpx.Client, str]
) -> None:
    client, token = operator
    client.post("/console/systems/test/check", data={"csrf_token": token})
    run_path = "/console/runs/1"  # the fixture's first sync
    run_apart(gateway.open_conflict("Fenster klemmt"))
    run_apart(gateway.parked_event("casavi has no ticket cv-404"))
    pages = [
        "/console",
        "/console/systems/production/settings",
        "/console/systems/test/settings",
        "/console/protocol",
        run_path,
        run_path + "?outcome=error",
        run_path + "/protocol.csv",
        "/console/tickets?system=test&number=1",
        "/console/keys",
        "/console/runs/999999",
        "/console/conflicts?system=test&status=all",
        "/console/conflicts?system=production",
        "/console/inbound-events?system=test",
        "/console/inbound-events?system=test&status=discarded",
    ]
    cookie = client.cookies["pgw_console"]
    secrets = {
        "admin key": gateway.admin_key,
        "ixhaus key": gateway.ixhaus_key,
        "casavi key": SANDBOX_KEY,
        "casavi secret": SANDBOX_SECRET,
        "iX-Haus database URL": str(gateway.paths.ixhaus_file),
        "secret key": gateway.secret_key,
        "session id": cookie,
    }
    seen = 0
    for path in pages:
        answer = client.get(path)
        assert answer.status_code in (200, 404), path
        for name, value in secrets.items():
            assert value not in answer.text, f"{name} in {path}"
        seen += 1
    with httpx.Client(base_url=gateway.base_url) as anonymous:
        signin = anonymous.get("/console/signin").text
        assert not any(value in signin for value in secrets.values())
    assert seen == len(pages)
