"""Typed record identity: which iX-Haus record a decision, a ledger row or a casavi record is.

``RecordKey`` is the one codec between three forms of the same identity:

- in the domain: ``RecordKey(EntityKind.UNIT, ("1001", "05"))`` (built by the named
  constructors, e.g. ``RecordKey.unit("1001", "05")``);
- in the ledger and the protocol: the columns ``entity_type = "unit"`` and
  ``ixhaus_key = "unit:1001/05"`` (``ledger_key`` / ``from_ledger``);
- in casavi: the customer reference id ``"1001.05"`` (``reference_id``), ours to choose and
  stable forever (casavi's help suggests object number, and object + unit number for a unit).
  Kinds that share a casavi collection with another kind carry a prefix so their ids never
  collide: owners and caretakers are contacts beside the persons (``"owner.100050"``), and a
  commissioning note is a ticket message beside the notes (``"work-order.77"``).

Nobody else builds or parses these strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from enum import StrEnum
from typing import NewType

import msgspec

# An iX-Haus ticket number (a 32-bit integer in iX-Haus). Flows and ports pass it as this
# type; only the stores that keep it as text, the keys and the wire formats turn it into text.
TicketNumber = NewType("TicketNumber", int)


class EntityKind(StrEnum):
    """Every kind of record the gateway decides, sends or links."""

    OBJECT = "object"
    UNIT = "unit"
    PERSON = "person"
    CONTRACT = "contract"
    OWNER = "owner"
    CARETAKER = "caretaker"
    USER = "user"
    TEAM = "team"
    # M4: the casavi staff role under which a user's object right or responsibility is shown.
    OBJECT_ROLE = "object_role"
    TICKET_TYPE = "ticket_type"
    TICKET_STATUS = "ticket_status"
    TICKET_PRIORITY = "ticket_priority"
    TICKET = "ticket"
    NOTE = "note"
    WORK_ORDER_NOTE = "work_order_note"
    DOCUMENT = "document"


DOCUWARE = "dw"  # first part of a DocuWare document's key


class InvalidKey(ValueError):
    pass


# casavi collections shared by two kinds: the second kind's reference ids get a prefix.
_REFERENCE_PREFIX: dict[EntityKind, str] = {
    EntityKind.OWNER: "owner",
    EntityKind.CARETAKER: "caretaker",
    EntityKind.WORK_ORDER_NOTE: "work-order",
}
# By kind value (a plain str key: an Enum member hashes by its name): where the number
# starts in a ledger key, and the reference id's prefix.
_REFERENCE_BY_VALUE: dict[str, tuple[int, str | None]] = {
    kind.value: (len(kind.value) + 1, _REFERENCE_PREFIX.get(kind)) for kind in EntityKind
}
_LABEL = re.compile(r"[^0-9A-Za-z_-]+")


class RecordKey(msgspec.Struct, frozen=True, order=True, gc=False):
    kind: EntityKind
    parts: tuple[str, ...]

    def __post_init__(self) -> None:
        # A plain loop: every decision and every ledger row builds a key (hot on big runs).
        parts = self.parts
        if not parts:
            raise InvalidKey(f"invalid {self.kind.value} key parts {parts!r}")
        for part in parts:
            if not part or "/" in part or ":" in part:
                raise InvalidKey(f"invalid {self.kind.value} key parts {parts!r}")

    # -- named constructors -------------------------------------------------------------
    @classmethod
    def of(cls, kind: EntityKind, number: str | int) -> RecordKey:
        return cls(kind, (str(number),))

    @classmethod
    def unit(cls, object_no: str, unit_no: str) -> RecordKey:
        return cls(EntityKind.UNIT, (object_no, unit_no))

    @classmethod
    def ticket(cls, number: int | str) -> RecordKey:
        return cls(EntityKind.TICKET, (str(number),))

    @classmethod
    def person(cls, number: str) -> RecordKey:
        return cls(EntityKind.PERSON, (number,))

    @classmethod
    def object_role(cls, category: str, label: str) -> RecordKey:
        """M4: the role for an object right (``"right"``) or a responsibility (``"responsible"``).

        The label is iX-Haus free text; it is reduced to a stable id-safe slug.
        """
        slug = _LABEL.sub("-", label.strip()).strip("-")[:60] or "default"
        return cls(EntityKind.OBJECT_ROLE, (category, slug))

    @classmethod
    def docuware_document(cls, cabinet_id: str, document_id: int | str) -> RecordKey:
        """A DocuWare document: ids are per cabinet and may equal an iX-Haus document id,
        so the key carries ``dw`` and the cabinet (reference id ``dw.<cabinet>.<id>``)."""
        return cls(EntityKind.DOCUMENT, (DOCUWARE, cabinet_id, str(document_id)))

    @property
    def is_docuware(self) -> bool:
        return (
            self.kind is EntityKind.DOCUMENT and len(self.parts) == 3 and self.parts[0] == DOCUWARE
        )

    # -- the codec ------------------------------------------------------------------------
    @property
    def number(self) -> str:
        """The record's own number (for a unit: the unit number within its object)."""
        return self.parts[-1]

    @property
    def ticket_number(self) -> TicketNumber:
        """A ticket key's number as a number (the key keeps it as text)."""
        if self.kind is not EntityKind.TICKET:
            raise InvalidKey(f"{self.ledger_key} is not a ticket")
        return TicketNumber(int(self.parts[0]))

    @property
    def ledger_key(self) -> str:
        """The ``ixhaus_key`` column of the ledger and the protocol."""
        # ``kind + ":"``: a StrEnum member concatenates as its value, without the (slow)
        # ``.value`` descriptor; a run asks every key for this a few times.
        return self.kind + ":" + "/".join(self.parts)

    @property
    def reference_id(self) -> str:
        """casavi's customer reference id for the record."""
        prefix = _REFERENCE_PREFIX.get(self.kind)
        joined = ".".join(self.parts)
        return f"{prefix}.{joined}" if prefix else joined

    @classmethod
    def from_ledger(cls, entity_type: str, ixhaus_key: str) -> RecordKey:
        return cls.ledger_decoder(EntityKind(entity_type))(ixhaus_key)

    @classmethod
    def ledger_decoder(cls, kind: EntityKind) -> Callable[[str], RecordKey]:
        """``from_ledger`` for many keys of one kind (a ledger load decodes every row)."""
        prefix = f"{kind.value}:"
        start = len(prefix)

        def decode(ixhaus_key: str) -> RecordKey:
            if not ixhaus_key.startswith(prefix):
                raise InvalidKey(f"ledger key {ixhaus_key!r} is not a {kind.value} key")
            return cls(kind, tuple(ixhaus_key[start:].split("/")))

        return decode

    @classmethod
    def parse(cls, ledger_key: str) -> RecordKey:
        """The inverse of ``ledger_key`` (the kind is read from the key itself)."""
        kind, sep, _ = ledger_key.partition(":")
        if not sep:
            raise InvalidKey(f"{ledger_key!r} has no kind")
        try:
            return cls.from_ledger(kind, ledger_key)
        except ValueError as exc:
            raise InvalidKey(str(exc)) from None

    def __str__(self) -> str:
        return self.ledger_key


def ledger_key_of(kind: EntityKind, *parts: str) -> str:
    """``RecordKey(kind, parts).ledger_key`` without building (or checking) the key: a run
    looks a few 100k records up by it. Parts a ``RecordKey`` refuses make a string that no
    ledger row has (every row's key was a ``RecordKey``)."""
    return kind + ":" + "/".join(parts)


def reference_of_ledger_key(kind: EntityKind | str, ledger_key: str) -> str:
    """``RecordKey.reference_id`` straight from a ledger key of ``kind`` (a kind or its value
    as the ledger stores it), without decoding it (the identity map reads a few 100k of them
    per run)."""
    start, prefix = _REFERENCE_BY_VALUE[str.__str__(kind)]
    joined = ledger_key[start:].replace("/", ".")
    return f"{prefix}.{joined}" if prefix else joined


class LedgerKeys(Container[RecordKey]):
    """A set of records given by their ledger keys (``RecordKey.ledger_key``), for membership
    tests only: a ledger read of 100k keys need not decode each one into a ``RecordKey``."""

    __slots__ = ("_keys",)

    def __init__(self, ledger_keys: Iterable[str]) -> None:
        self._keys = frozenset(ledger_keys)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, RecordKey) and key.ledger_key in self._keys

    def __len__(self) -> int:
        return len(self._keys)
