"""Issue 10 item 7: the building blocks of the hostile-input guards."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import logsafe
from app.api.auth import KEY_CACHE_SECONDS, KeyCache
from app.api.auth_failures import AuthFailures, FailureLimiter, key_prefix
from app.api.hardening import _has_control_bytes, is_json, json_depth, query_parameter_names
from app.api.proxies import TrustedProxies, parse_trusted_proxies
from app.environment import SettingsError, load_settings
from app.logsafe import untrusted


def test_untrusted_values_cannot_break_a_log_line() -> None:
    assert untrusted("/a\nb\r\x00\x1b[31m\u2028\\") == "/a\\x0ab\\x0d\\x00\\x1b[31m\\u2028\\\\"
    assert untrusted("Müller /ok") == "Müller /ok"
    assert untrusted("x" * 500).endswith("…")
    assert len(untrusted("x" * 500)) == 201


def test_the_process_log_filter_keeps_one_line_per_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = logging.StreamHandler()
    logsafe.install([handler])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "path %s", ("/a\nFORGED",), None)
    handler.filter(record)
    assert record.getMessage() == "path /a\\x0aFORGED"


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[[[{{{{"}', 1),
        (b'{"a": "\\"[[[["}', 1),
        (b"[" * 1000 + b"]" * 1000, 1000),
        (b"1", 0),
    ],
)
def test_json_depth_skips_strings(body: bytes, depth: int) -> None:
    assert json_depth(body) == depth


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/merge-patch+json", True),
        ("application/problem+json", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
        ("application/jsonx", False),
    ],
)
def test_json_media_types(content_type: str, ok: bool) -> None:
    assert is_json(content_type) is ok


def test_failure_budget_refills_over_a_minute() -> None:
    now = [1000.0]
    limiter = FailureLimiter(6, clock=lambda: now[0])
    for _ in range(6):
        assert limiter.retry_after("10.0.0.1") is None
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10  # one token per 10 s
    assert limiter.retry_after("10.0.0.2") is None  # per client
    now[0] += 10
    assert limiter.retry_after("10.0.0.1") is None


def test_failure_budget_memory_is_bounded() -> None:
    limiter = FailureLimiter(1, max_clients=100)
    for n in range(1000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100


def test_the_cli_keeps_every_log_record_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # issue 10 item 7: whatever a message's arguments hold, the process logs one line.
    from app.cli import main
    from app.environment import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    get_settings.cache_clear()
    root = logging.getLogger()
    try:
        assert main(["openapi", "--out", str(tmp_path / "gateway.json")]) == 0
        with caplog.at_level(logging.WARNING):
            logging.getLogger("app.test").warning("path %s", "/a\n2026-01-01 ERROR forged")
        assert caplog.records[-1].getMessage() == "path /a\\x0a2026-01-01 ERROR forged"
    finally:
        get_settings.cache_clear()
        for handler in root.handlers:
            for found in [f for f in handler.filters if isinstance(f, logsafe.OneLinePerRecord)]:
                handler.removeFilter(found)


@given(
    st.lists(
        st.sampled_from([b"a", b"b", b"=", b"&", b"+", b"%2F", b"%C3%A9", b"%", b"\xe9", b";"])
    )
)
def test_query_parameter_names_are_parse_qsl_names(parts: list[bytes]) -> None:
    # The guard reads only the names (issue 10 item 8), decoded exactly as parse_qsl does.
    query = b"".join(parts)
    expected = {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    assert query_parameter_names(query) == expected


def test_query_parameter_names_of_a_bulk_request() -> None:
    query = "&".join(f"number={n}" for n in range(500)) + "&numbers=1,2&limt=5&a%20b=1&c+d"
    assert query_parameter_names(query.encode()) == {"number", "numbers", "limt", "a b", "c d"}
    assert query_parameter_names(b"") == set()
    assert query_parameter_names(b"&&=x&") == {""}  # as parse_qsl: ("", "x")


def test_a_verified_key_is_trusted_for_a_bounded_time_and_forgotten_on_revocation() -> None:
    now = [0.0]
    cache = KeyCache(KEY_CACHE_SECONDS, clock=lambda: now[0])
    cache.put("h1", "ixhaus-plus", "ixhaus", generation=cache.generation)
    cache.put("h2", "admin", "admin", generation=cache.generation)
    assert cache.get("h1") == ("ixhaus-plus", "ixhaus")
    now[0] += KEY_CACHE_SECONDS - 0.1
    assert cache.get("h1") == ("ixhaus-plus", "ixhaus")
    now[0] += 0.1  # the documented bound for a revocation made in another process
    assert cache.get("h1") is None
    cache.put("h1", "ixhaus-plus", "ixhaus", generation=cache.generation)
    cache.forget("ixhaus-plus")  # revoked in this process: at once
    assert cache.get("h1") is None
    assert cache.get("h2") is None  # expired as well
    # A lookup that started before a revocation here is not remembered (it may have read
    # the key just before the revocation committed).
    started = cache.generation
    cache.forget("someone")
    cache.put("h3", "someone", "ixhaus", generation=started)
    assert cache.get("h3") is None


def test_the_key_cache_is_bounded() -> None:
    cache = KeyCache(max_keys=10)
    for n in range(100):
        cache.put(f"h{n}", f"k{n}", "ixhaus", generation=0)
    assert sum(cache.get(f"h{n}") is not None for n in range(100)) <= 10
    assert cache.get("h99") == ("k99", "ixhaus")


@pytest.mark.parametrize(
    ("query", "hostile"),
    [
        (b"number=1&number=2", False),
        (b"a=%41%20b+c", False),
        (b"a=1\nb", True),  # raw
        (b"a=%0A", True),  # percent-encoded
        (b"a=%7f", True),
        (b"a=\x7f", True),
        (b"a=%", False),
    ],
)
def test_control_bytes_in_a_query_raw_or_encoded(query: bytes, hostile: bool) -> None:
    assert _has_control_bytes(query) is hostile


def test_a_key_prefix_is_the_public_part_of_a_gateway_key() -> None:
    # issue 23 item 2: failures are counted per presented key prefix, never per secret.
    assert key_prefix("pgw_0123abcd_" + "s" * 43) == "pgw_0123abcd"
    assert key_prefix("pgw_guess") == "other"
    assert key_prefix("Bearer something") == "other"


def test_failures_count_per_address_and_per_key_prefix() -> None:
    # issue 23 item 2
    now = [1000.0]
    failures = AuthFailures(2, clock=lambda: now[0])
    revoked = "pgw_0000beef_" + "x" * 43
    assert failures.failed("10.0.0.1", revoked) is None
    assert failures.failed("10.0.0.2", revoked) is None
    # The prefix's budget is spent, whatever the address.
    assert failures.failed("10.0.0.3", revoked) == 30
    # The address's budget is its own: a missing key counts only there.
    assert failures.failed("10.0.0.4", None) is None
    assert failures.failed("10.0.0.4", None) is None
    assert failures.failed("10.0.0.4", None) == 30
    now[0] += 30
    assert failures.failed("10.0.0.4", None) is None


def test_the_client_behind_trusted_proxies_is_the_rightmost_untrusted_hop() -> None:
    # issue 23 item 2: what a client writes into X-Forwarded-For itself sits left of what
    # the trusted proxies appended, so it is never taken for the client's address.
    proxies = TrustedProxies(parse_trusted_proxies("10.0.0.1, 10.0.1.0/24, ::1"))
    assert proxies.trusts("10.0.1.200")
    assert proxies.trusts("::1")
    assert not proxies.trusts("10.0.2.1")
    assert not proxies.trusts("unknown")
    assert proxies.client("10.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert proxies.client("10.0.0.1", "1.2.3.4, 203.0.113.5, 10.0.1.9") == "203.0.113.5"
    assert proxies.client("10.0.0.1", "10.0.1.8, 10.0.1.9") == "10.0.1.8"


@pytest.mark.parametrize("value", ["10.0.0.1/33", "proxy.example", "10.0.0.1,,::1/200"])
def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    # issue 23 item 2: a typo would silently trust nobody (or the wrong hosts).
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": value})
