"""Document content generated on the fly: deterministic, never held in memory.

A document's bytes are one 64 KiB block derived from its id, repeated up to its size. The
same function lets tests compute the expected digest without the simulator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

BLOCK_BYTES = 64 * 1024


def block_for(document_id: int) -> bytes:
    seed = f"docuware-sim:{document_id}".encode()
    digests = (hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(2048))
    return b"".join(digests)  # 2048 * 32 bytes = 64 KiB


def content_chunks(document_id: int, size: int) -> Iterator[bytes]:
    block = block_for(document_id)
    remaining = size
    while remaining > 0:
        chunk = block[: min(remaining, BLOCK_BYTES)]
        remaining -= len(chunk)
        yield chunk


def content_digest(document_id: int, size: int) -> str:
    digest = hashlib.sha256()
    for chunk in content_chunks(document_id, size):
        digest.update(chunk)
    return digest.hexdigest()
