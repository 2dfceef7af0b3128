"""What iX-Haus knows: the codes and numbers a configuration may refer to (rules C3–C11)."""

from __future__ import annotations

import msgspec

from app.domain.config import object_in_range


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

    def objects_in(self, entry: str) -> bool:
        """True when the range entry ("1001" or "1001-1099") selects at least one object."""
        return any(object_in_range(number, (entry,)) for number in self.object_numbers)
