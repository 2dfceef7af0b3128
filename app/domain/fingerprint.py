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


def fingerprint(record: object) -> str:
    digest = hashlib.sha256(type(record).__name__.encode())
    digest.update(b"\x00")
    digest.update(canonical_json(record))
    return digest.hexdigest()
