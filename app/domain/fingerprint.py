"""Stable fingerprints of canonical portal records for change detection (design: ledger).

sha256 over canonical JSON: msgspec encoding with ``order="sorted"`` so field order and dict
insertion order never change the hash; a record type tag is mixed in so two entity types
with equal fields never collide.
"""

from __future__ import annotations

import hashlib

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
