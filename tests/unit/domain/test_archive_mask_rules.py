"""Issue 23 item 9: what the support archive keeps of a payload (rule C13)."""

from __future__ import annotations

import msgspec

from app.domain.archive_masking import mask_payload, mask_text


def test_free_text_loses_ibans_and_e_mail_addresses() -> None:
    text = "IBAN DE02 1203 0000 0000 2020 51 oder an max.muster@mail.example schreiben"
    masked = mask_text(text)
    assert "1203" not in masked
    assert "max.muster" not in masked
    assert masked == "IBAN DE…2051 oder an ***@mail.example schreiben"


def test_unset_values_stay_unset_and_other_fields_stay_as_sent() -> None:
    payload = {
        "number": "1",
        "email": None,
        "bank_account": None,
        "address": {"street": None, "city": "Köln"},
        "last_name": "Ö",
        "assignments": [{"object_no": "1001"}],
    }
    kept = msgspec.json.decode(mask_payload(msgspec.json.encode(payload)))
    assert kept == {
        "number": "1",
        "email": None,
        "bank_account": None,
        "address": {"street": None, "city": "Köln"},
        "last_name": "Ö***",
        "assignments": [{"object_no": "1001"}],
    }


def test_what_is_not_json_is_not_kept() -> None:
    assert mask_payload(b"IBAN DE89370400440532013000") == b'"***"'
