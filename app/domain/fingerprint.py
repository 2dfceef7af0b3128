"""Stable fingerprints of canonical portal records for change detection (design: ledger).

sha256 over canonical JSON: msgspec encoding with ``order="sorted"`` so field order and dict
insertion order never change the hash; a record type tag is mixed in so two entity types
with equal fields never collide.
"""

from __future__ import annotations

import hashlib
import zlib

import msgspec

_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical_json(record: object) -> bytes:
    return _ENCODER.encode(record)


_TAGS: dict[type, bytes] = {}


def fingerprint(record: object) -> str:
    # sha256(type name, NUL, canonical JSON): one call per record (a run hashes every record).
    kind = type(record)
    tag = _TAGS.get(kind)
    if tag is None:
        tag = _TAGS[kind] = kind.__name__.encode() + b"\x00"
    return hashlib.sha256(tag + _ENCODER.encode(record)).hexdigest()


def field_digests(record: msgspec.Struct) -> str:
    """What was sent, field by field, without the values: a JSON object of field name ->
    8-hex CRC-32 of the field's canonical JSON. Stored in the ledger next to the fingerprint
    (which alone decides whether a record changed), so a dry run can name the fields an
    update would change without keeping personal data."""
    encode = _ENCODER.encode
    return _ENCODER.encode(
        {
            name: f"{zlib.crc32(encode(getattr(record, name))):08x}"
            for name in record.__struct_fields__
        }
    ).decode()


def changed_fields(before: str | None, after: str) -> list[str] | None:
    """The fields whose digests differ (sorted), or None when nothing was recorded before."""
    if before is None:
        return None
    old: dict[str, str] = msgspec.json.decode(before)
    new: dict[str, str] = msgspec.json.decode(after)
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
