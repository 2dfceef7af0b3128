"""The outcome of a rule for one record: transfer, report as deleted, or exclude.

- ``Transfer``: send this canonical portal record (``note`` may carry an info reason, e.g.
  P2 "sent with PortalUser=false").
- ``Delete``: make sure casavi no longer shows the record (P3, D2, T5). The sync layer only
  sends a deletion when the ledger says the record was sent before.
- ``Exclude``: never send; the reason says why (rule S1) and whether it counts as an error.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from app.domain.keys import RecordKey
from app.domain.reasons import Reason, Severity, severity, text

P = TypeVar("P")


# One decision per record and run (~200k on the large portfolio): none can be part of a
# reference cycle (built from finished records and keys), so the garbage collector does not
# track them (``gc=False``) and their allocation does not count towards its next collection.
class Transfer(msgspec.Struct, Generic[P], frozen=True, tag="transfer", gc=False):
    key: RecordKey
    record: P
    note: Reason | None = None


class Delete(msgspec.Struct, frozen=True, tag="delete", gc=False):
    key: RecordKey
    reason: Reason

    @property
    def text_de(self) -> str:
        return text(self.reason, "de")

    @property
    def text_en(self) -> str:
        return text(self.reason, "en")


class Exclude(msgspec.Struct, frozen=True, tag="exclude", gc=False):
    key: RecordKey
    reason: Reason

    @property
    def severity(self) -> Severity:
        return severity(self.reason)

    @property
    def text_de(self) -> str:
        return text(self.reason, "de")

    @property
    def text_en(self) -> str:
        return text(self.reason, "en")


Decision = Transfer[P] | Delete | Exclude
