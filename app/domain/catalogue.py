"""What iX-Haus knows: the codes and numbers a configuration may refer to (rules C3–C11)."""

from __future__ import annotations

import msgspec

from app.domain.config import ObjectRange

# Width of iX-Haus catalogue codes (person types, document types, ticket types, teams): the
# interface schema's columns and the configuration's ``TypeCode`` both use it, so every code
# the configuration accepts fits the column it is looked up in (and vice versa).
CODE_LENGTH = 20


class IxhausUser(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    active: bool
    plus_rights: bool


class IxhausCatalogue(msgspec.Struct, frozen=True, kw_only=True):
    """What iX-Haus knows, read from its type tables (not from the values in use: a type may
    be enabled before the first record of that type exists)."""

    object_numbers: frozenset[str]
    person_types: frozenset[str]
    document_types: frozenset[str]
    teams: frozenset[str]
    users: dict[str, IxhausUser]
    ticket_types: frozenset[str] = frozenset()

    def objects_in(self, entry: ObjectRange) -> bool:
        """True when the range selects at least one object."""
        return any(entry.contains(number) for number in self.object_numbers)
