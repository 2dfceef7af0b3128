"""Input digests: what decided a record, as one short digest kept in the ledger.

A run decides every record, yet nearly all come out as the ledger recorded them. The input
digest of a record covers everything its rule and its portal record read:

- the code that decides (``RULES_VERSION``: the source of the domain and of the stage
  sources - a changed rule re-decides every record once);
- the system's settings (the whole ``SyncConfig``: a changed setting re-decides every row);
- what the stage knows for the whole run (the C3 boundary of the tickets, say);
- per record: its source record(s), the related rows its rule reads (a person's contracts),
  the identity-map facts it reads (does casavi hold the ticket's reporter) and the date
  facts of its contracts (``contract_phase``: a contract whose portal access opens today
  changes the person's digest today, though no row changed).

The send engine compares it with the digest recorded beside the outcome: equal, the outcome
is the same as recorded, and the row's rules, portal record and fingerprint are skipped
(``Digested``). A source builds the digest before anything else of the record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec

from app.domain.config import SyncConfig
from app.domain.decisions import Decision

_ENCODE = msgspec.msgpack.Encoder().encode
_blake2b = hashlib.blake2b
_APP = Path(__file__).resolve().parents[2]
# The code that decides a record: the rules and records (domain), the sources and the
# engine that applies them (sync/outbound).
_DECIDING = ("domain", "sync/outbound")


def _rules_version() -> bytes:
    digest = hashlib.sha256()
    try:
        for part in _DECIDING:
            path = _APP / part
            for file in sorted(path.rglob("*.py")):
                digest.update(file.relative_to(_APP).as_posix().encode())
                digest.update(file.read_bytes())
    except OSError:  # installed without sources: the release stands for the code
        digest.update(metadata.version("portal-gateway").encode())
    return digest.digest()


RULES_VERSION = _rules_version()


class InputDigests:
    """The input digests of one stage of one run: ``digests(record, *related)``."""

    __slots__ = ("_prefixed",)

    def __init__(self, stage: str, config: SyncConfig, *context: object) -> None:
        # What every record of the stage shares, hashed short: it prefixes each record's
        # inputs (a keyed hash costs three times as much per record). The hash over that
        # prefix is made once and copied per record (half the cost of a new hash).
        shared = RULES_VERSION + _ENCODE((stage, config, context))
        prefix = _blake2b(shared, digest_size=16).digest()
        self._prefixed = _blake2b(prefix, digest_size=16)

    def __call__(self, *inputs: object) -> str:
        digest = self._prefixed.copy()
        digest.update(_ENCODE(inputs))
        return digest.hexdigest()


class Digested(msgspec.Struct, frozen=True, gc=False):
    """A record (by its ledger key, ``keys.ledger_key_of``) whose decision is made only when
    its digest differs from the ledger's (``decide``); ``SendEngine.stage`` takes it beside
    plain decisions."""

    ledger_key: str
    digest: str
    decide: Callable[[], Decision[Any]]


# What a stage takes: decisions, or records decided only when their inputs changed.
Decided = Decision[Any] | Digested


def ledger_key_of_item(item: Decided) -> str:
    """The ledger key of what a stage takes (a decision, or a ``Digested`` record)."""
    return item.ledger_key if isinstance(item, Digested) else item.key.ledger_key


def decided(decision: Decision[Any], digest: str) -> Digested:
    """A decision made already (a source that needed it), with its digest."""
    return Digested(decision.key.ledger_key, digest, lambda: decision)
