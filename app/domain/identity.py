"""The identity map: which casavi record is this iX-Haus record, both ways.

A record born in iX-Haus has the reference id derived from its number
(``RecordKey.reference_id``); a record born in casavi keeps the id casavi gave it (a tenant's
ticket ``cv-…``, which iX-Haus keeps in ``source_ref``). Every casavi request that names
another record - a message's ticket, a unit's property, a contract's unit, a document's
ticket - asks this map for that record's casavi id (``parent``), never rebuilds it from the
iX-Haus key.

The map also says what casavi holds (``holds``: sent, or failed later while casavi kept it)
and whose state is unsettled (``unsettled``: its creation failed, or a create may have
happened before the gateway could record it). A child of an unsettled parent is left as it
is and tried again later (``ParentUnsettled``) - it never pays for its parent's failure.

Keys are kept as ledger keys (``RecordKey.ledger_key``): a run loads a few 100k of them
without decoding each one, and an id equal to the derived reference id is not stored twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from app.domain.keys import EntityKind, RecordKey, reference_of_ledger_key

# Ledger states as the map reads them.
_HELD = "sent"
_FAILED = "error"
_PENDING = "pending"


class ParentUnsettled(Exception):
    """A record names a parent casavi may not hold (its creation failed, or its outcome is
    not known yet): the record waits, untouched, for a later run or trigger."""

    def __init__(self, parent: RecordKey) -> None:
        super().__init__(f"waiting for {parent.ledger_key}, whose state in casavi is unsettled")
        self.parent = parent


class IdentityMap:
    """casavi ids by record, what casavi holds, and which records are unsettled."""

    __slots__ = ("_foreign", "_held", "_unsettled")

    def __init__(self) -> None:
        self._held: set[str] = set()
        # ledger key -> casavi id, only where it differs from the derived reference id
        self._foreign: dict[str, str] = {}
        self._unsettled: set[str] = set()

    @classmethod
    def of_rows(cls, rows: Iterable[tuple[str, str, str, str | None]]) -> IdentityMap:
        """From ledger rows ``(entity_type, ixhaus_key, state, casavi_id)``."""
        ids = cls()
        for kind, same_kind in groupby(rows, key=itemgetter(0)):
            ids.add_kind(kind, (row[1:] for row in same_kind))
        return ids

    def add_kind(self, kind: str, rows: Iterable[tuple[str, str, str | None]]) -> None:
        """One kind's ledger rows ``(ixhaus_key, state, casavi_id)``, not known to the map
        before (a run adds each kind as its stage reads the kind's ledger)."""
        held, unsettled, foreign = self._held, self._unsettled, self._foreign
        # One row per record (a ledger snapshot): ``_note`` inlined, a few 100k per run.
        for ledger_key, state, casavi_id in rows:
            if state == _HELD or (state == _FAILED and casavi_id is not None):
                held.add(ledger_key)
            elif state in (_FAILED, _PENDING):
                unsettled.add(ledger_key)
            if casavi_id is not None and casavi_id != reference_of_ledger_key(kind, ledger_key):
                foreign[ledger_key] = casavi_id

    # -- what the map says ------------------------------------------------------------------
    def holds(self, key: RecordKey) -> bool:
        """casavi holds the record (sent; or a later write failed but casavi kept it)."""
        return key.ledger_key in self._held

    def holds_ledger_key(self, ledger_key: str) -> bool:
        """``holds`` by the record's ledger key."""
        return ledger_key in self._held

    def names_ledger_key(self, ledger_key: str) -> bool:
        """``named`` by the record's ledger key."""
        return ledger_key in self._held or ledger_key in self._unsettled

    def unsettled(self, key: RecordKey) -> bool:
        """The record's state in casavi is not known to be good: its creation failed, or a
        create was under way when the gateway stopped."""
        return key.ledger_key in self._unsettled

    def named(self, key: RecordKey) -> bool:
        """A reference to the record is kept in what is sent: casavi holds it, or it is
        unsettled (then the sender waits rather than drop the reference)."""
        ledger_key = key.ledger_key
        return ledger_key in self._held or ledger_key in self._unsettled

    def casavi_id(self, key: RecordKey) -> str:
        """The id casavi knows the record by (its own id for a record born in casavi)."""
        return self._foreign.get(key.ledger_key) or key.reference_id

    def parent(self, key: RecordKey) -> str:
        """The casavi id of a record another request names; raises ``ParentUnsettled``
        when casavi may not hold it."""
        if key.ledger_key in self._unsettled:
            raise ParentUnsettled(key)
        return self.casavi_id(key)

    # -- what the map learns ----------------------------------------------------------------
    def learn(self, key: RecordKey, state: str, casavi_id: str | None) -> None:
        """A record's new ledger state (a run's outcome, an inbound link)."""
        self._note(key.kind.value, key.ledger_key, state, casavi_id)

    def adopt(self, key: RecordKey, casavi_id: str) -> None:
        """casavi holds the record as ``casavi_id`` (known from iX-Haus: ``source_ref``)."""
        self._note(key.kind.value, key.ledger_key, _HELD, casavi_id)

    def _note(self, kind: str, ledger_key: str, state: str, casavi_id: str | None) -> None:
        held = state == _HELD or (state == _FAILED and casavi_id is not None)
        if held:
            self._held.add(ledger_key)
            self._unsettled.discard(ledger_key)
        else:
            self._held.discard(ledger_key)
            if state in (_FAILED, _PENDING):
                self._unsettled.add(ledger_key)
            else:
                self._unsettled.discard(ledger_key)
        if casavi_id is not None and casavi_id != reference_of_ledger_key(kind, ledger_key):
            self._foreign[ledger_key] = casavi_id
        elif not held:
            self._foreign.pop(ledger_key, None)


# Kinds other records name in casavi (a run loads their identities once).
PARENT_KINDS = (
    EntityKind.OBJECT,
    EntityKind.UNIT,
    EntityKind.PERSON,
    EntityKind.OWNER,
    EntityKind.CARETAKER,
    EntityKind.TEAM,
    EntityKind.OBJECT_ROLE,
    EntityKind.USER,
    EntityKind.TICKET_TYPE,
    EntityKind.TICKET_STATUS,
    EntityKind.TICKET_PRIORITY,
    EntityKind.TICKET,
)
