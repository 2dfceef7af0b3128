"""What the support archive (rule C13, keep transfer payloads) keeps of a payload sent.

The archive is for support: which record went out, when, with which fields set and which
structure (contracts, assignments, objects). No rule needs the values of a person's bank
account, contact details or name to be read back from it, so they are masked before they
are stored (issue 23 item 9): a support engineer sees that a value was sent and its shape,
never the value.

- bank account: the IBAN as its country and last four characters (``DE…3000``), BIC and
  account holder as ``***``;
- e-mail: ``***@`` and the domain; phone: ``***`` and the last two digits;
- first and last name: the initial and ``***``;
- the street of a person's or contact's address (an object's or unit's address is a
  building's, not personal, and stays);
- anywhere in free text (ticket texts, notes): anything shaped like an IBAN or an e-mail
  address.

Numbers, keys, flags, dates, amounts and the salutation stay as sent.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

MASK = "***"
# Keys of a record that holds a person's data (persons, owners, caretakers, users).
_PERSONAL_KEYS = frozenset({"first_name", "last_name", "email", "phone", "bank_account"})
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_payload(payload: bytes) -> bytes:
    """``payload`` (a canonical record as JSON) as the support archive keeps it."""
    try:
        data = msgspec.json.decode(payload)
    except msgspec.DecodeError:
        return msgspec.json.encode(MASK)  # not JSON: nothing of it is known to be harmless
    return msgspec.json.encode(_mask(data))


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return _mask_record(value)
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def _mask_record(record: dict[str, Any]) -> dict[str, Any]:
    personal = not _PERSONAL_KEYS.isdisjoint(record)
    masked: dict[str, Any] = {}
    for key, value in record.items():
        if value is None:
            masked[key] = None
        elif key == "bank_account" and isinstance(value, dict):
            masked[key] = _mask_bank_account(value)
        elif key in ("first_name", "last_name") and isinstance(value, str):
            masked[key] = _initial(value)
        elif key == "email" and isinstance(value, str):
            masked[key] = _mask_email(value)
        elif key == "phone" and isinstance(value, str):
            masked[key] = MASK + "".join(ch for ch in value if ch.isdigit())[-2:]
        elif key == "address" and personal and isinstance(value, dict):
            masked[key] = {**_mask(value), "street": MASK if value.get("street") else None}
        else:
            masked[key] = _mask(value)
    return masked


def _mask_bank_account(account: dict[str, Any]) -> dict[str, Any]:
    iban = account.get("iban")
    return {
        **{key: (MASK if value is not None else None) for key, value in account.items()},
        "iban": _short_iban(str(iban)) if iban else None,
    }


def _initial(name: str) -> str:
    stripped = name.strip()
    return f"{stripped[0]}{MASK}" if stripped else ""


def _mask_email(email: str) -> str:
    _, at, domain = email.rpartition("@")
    return f"{MASK}@{domain}" if at else MASK


def mask_text(text: str) -> str:
    """Free text with IBAN- and e-mail-shaped parts masked."""
    if "@" in text:
        text = _EMAIL.sub(lambda found: f"{MASK}@{found.group(1)}", text)
    return _IBAN.sub(lambda found: _short_iban(found.group(0)), text)


def _short_iban(iban: str) -> str:
    compact = iban.replace(" ", "")
    return f"{compact[:2]}…{compact[-4:]}" if len(compact) > 6 else MASK
