"""``verify_docuware_signature``: HMAC-SHA512 of the (minimised) body, hex, constant time."""

from __future__ import annotations

import hashlib
import hmac
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import msgspec
import pytest

from app.adapters.docuware.webhook import (
    decode_notification,
    minimise,
    sign,
    verify_docuware_signature,
)

SECRET = b"organisation-passphrase"
BODY = b'{"DWDOCID":80,"DOKUMENTTYP":"Mietvertrag","OBJEKTNUMMER":"1001","NET_AMOUNT":578.00}'


def _hex(secret: bytes, body: bytes) -> str:
    return hmac.new(secret, body, hashlib.sha512).hexdigest()


def test_a_valid_signature_is_accepted_in_either_case() -> None:
    header = _hex(SECRET, BODY)

    assert verify_docuware_signature(SECRET, BODY, header)
    assert verify_docuware_signature(SECRET, BODY, header.upper())
    assert verify_docuware_signature(SECRET, BODY, f"  {header}\n")
    assert sign(SECRET, BODY) == header


def test_a_pretty_printed_body_is_checked_in_its_minimised_form() -> None:
    # KBA-37955: DocuWare signs the minimised JSON; an edited template may carry whitespace.
    pretty = b'{\n  "DWDOCID": 80,\n  "NAME": "a b\\" c",\n  "NET_AMOUNT": 578.00\n}'

    assert minimise(pretty) == b'{"DWDOCID":80,"NAME":"a b\\" c","NET_AMOUNT":578.00}'
    assert verify_docuware_signature(SECRET, pretty, _hex(SECRET, minimise(pretty)))


@pytest.mark.parametrize(
    "header",
    [
        _hex(b"another-secret", BODY),  # forged with the wrong key
        _hex(SECRET, BODY.replace(b"1001", b"1002")),  # signature of another body
        _hex(SECRET, BODY)[:-2] + "00",  # one byte changed
    ],
)
def test_forged_signatures_are_refused(header: str) -> None:
    assert not verify_docuware_signature(SECRET, BODY, header)


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "sha512=" + "0" * 128, "z" * 128, "ab" * 32, _hex(SECRET, BODY) + "00"],
)
def test_missing_or_malformed_signatures_are_refused(header: str | None) -> None:
    assert not verify_docuware_signature(SECRET, BODY, header)


def test_an_empty_secret_verifies_nothing() -> None:
    assert not verify_docuware_signature(b"", BODY, _hex(b"", BODY))


def test_the_notification_names_the_document() -> None:
    notification = decode_notification(BODY)

    assert notification.document_id == 80
    assert notification.stored_at is None
    with pytest.raises(msgspec.ValidationError):
        decode_notification(b'{"DOKUMENTTYP":"Mietvertrag"}')


def _python_lines_run(work: Callable[[], object]) -> int:
    """How many Python lines ``work`` executes (a measure of per-byte Python work that no
    machine's speed changes)."""
    lines = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:  # sys.settrace's TraceFunction
        nonlocal lines
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return lines


@pytest.mark.parametrize(
    "forged",
    [
        b"{\n" + b'  "FIELD": "value",\n' * 52_000 + b'  "DWDOCID": 1\n}',  # 1 MB, pretty
        b'["' + b'", "'.join([b"x"] * 150_000) + b'"]',  # many tiny strings
        b" " * 999_000,
    ],
)
def test_a_forged_megabyte_costs_no_python_work_per_byte(forged: bytes) -> None:
    # issue 23 item 7: a per-byte Python loop (the minimiser) ran before the forged body's
    # 401: 122 ms of event-loop time per 1 MB body. Now HMAC and the minimiser run in C.
    lines = _python_lines_run(lambda: verify_docuware_signature(SECRET, forged, "0" * 128))
    assert lines < 100, lines


def test_the_minimiser_does_no_python_work_per_string() -> None:
    # issue 23 item 7: 64 KB of tiny strings (the largest body the second try is made for).
    body = b'["' + b'", "'.join([b"x"] * 13_000) + b'"]'
    lines = _python_lines_run(lambda: minimise(body))
    assert lines < 100, lines
    assert minimise(body) == body.replace(b" ", b"")
