"""``verify_docuware_signature``: HMAC-SHA512 of the (minimised) body, hex, constant time."""

from __future__ import annotations

import hashlib
import hmac

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
