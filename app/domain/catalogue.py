"""What iX-Haus knows: the codes and numbers a configuration may refer to (rules C3–C11)."""

from __future__ import annotations

import msgspec

from app.domain.config import ObjectRange


class IxhausUser(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    active: bool
    plus_rights: bool


class IxhausCatalogue(msgspec.Struct, frozen=True, kw_only=True):
    object_numbers: frozenset[str]
    person_types: frozenset[str]
    document_types: frozenset[str]
    teams: frozenset[str]
    users: dict[str, IxhausUser]

    def objects_in(self, entry: ObjectRange) -> bool:
        """True when the range selects at least one object."""
        return any(entry.contains(number) for number in self.object_numbers)
