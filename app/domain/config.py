"""Rules-side configuration of one system (production or test): ``SyncConfig``.

One frozen Struct holds every setting the transfer rules of ``domain.md`` read. The admin API
(a later issue) stores and validates it; the rules only read it. Server settings (URL, key,
secret — rule C2) and the active switch (C12) are NOT here: they belong to the transport side.

Construction validates (``__post_init__``); ``msgspec.json.decode(..., type=SyncConfig)``
additionally enforces the ``Meta`` constraints, and ``msgspec.json.schema(SyncConfig)`` gives
the admin API a documented JSON schema.

Object ranges are tuples of ``ObjectRange`` (first and last object number, inclusive); the
configuration document's ranges become these directly (``app.configuration.rules``).
"""

from __future__ import annotations

import functools
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

DEFAULT_MAX_DOCUMENT_BYTES = 100 * 1024 * 1024  # rule D5: 100 MB


class Licences(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Licences of the iX-Haus installation that switch parts of the transfer on (the
    configuration document stores this very Struct)."""

    komfortpaket: bool = False  # rule C8: user teams need it
    owners: bool = False  # rule M1: "Lizenz Objekteigentümer"
    caretakers: bool = False  # rule M2: "Lizenz Hausmeister"


class ObjectRange(msgspec.Struct, frozen=True):
    """An inclusive range of object numbers (rules C3, C4); ``first == last`` is one object.

    Numeric object numbers compare as numbers ("99" < "1000"), others as text.
    """

    first: str
    last: str

    def __post_init__(self) -> None:
        if not self.first.strip() or not self.last.strip():
            raise ValueError(f"invalid object range {self.first!r}-{self.last!r}")

    @classmethod
    def parse(cls, entry: str) -> ObjectRange:
        """``"1001"`` or ``"1001-1099"`` (sandbox profiles and tests write ranges this way)."""
        first, sep, last = entry.strip().partition("-")
        if not first.strip() or (sep and not last.strip()):
            raise ValueError(f"invalid object range entry {entry!r}")
        return cls(first.strip(), last.strip() if sep else first.strip())

    def contains(self, object_no: str) -> bool:
        key, lo, hi = number_order(object_no), number_order(self.first), number_order(self.last)
        return lo[0] == key[0] == hi[0] and lo <= key <= hi


def ranges(*entries: str) -> tuple[ObjectRange, ...]:
    return tuple(ObjectRange.parse(entry) for entry in entries)


ObjectRanges = Annotated[
    tuple[ObjectRange, ...],
    msgspec.Meta(description="Inclusive ranges of object numbers (first == last: one object)."),
]
Codes = Annotated[tuple[str, ...], msgspec.Meta(description="iX-Haus catalogue codes.")]
Days = Annotated[int, msgspec.Meta(ge=0, le=3650)]


class SyncConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the pure transfer rules need to know about one system's configuration."""

    # C3: objects synchronised; of their tickets only those open since the start of the
    # previous calendar year are transferred.
    object_range: ObjectRanges = ()
    # C4: objects whose complete ticket history is transferred (also synchronised objects).
    object_range_full_history: ObjectRanges = ()
    # C5: person types sent as portal users; others are sent with PortalUser=false (P2).
    person_types: Codes = ()
    # C6: document types transferred only since the start of the previous calendar year.
    document_types_time_filtered: Codes = ()
    # C7: document types always transferred (e.g. the lease itself).
    document_types_unfiltered: Codes = ()
    # C8: user teams whose tickets are synchronised; empty = all teams. Needs Komfortpaket.
    user_teams: Codes = ()
    licences: Licences = Licences()
    # C9: DocuWare filter expressions selecting documents; empty = index fields required.
    docuware_filters: tuple[str, ...] = ()
    # C10: days before contract start at which the tenant's portal access opens.
    portal_lead_days: Days = 14
    # C15: days after a tenant's move-out after which the person is reported as deleted (P3).
    # The seed gives no default; 90 days is our choice, stated here so it can be reviewed.
    deletion_days: Days = 90
    # C11: three-digit iX-Haus user entered as author of tickets/notes from casavi.
    ticket_user_no: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3}$")] | None = None
    # C13: support switches (old flag files @noDwSync and @mpSave).
    no_docuware_sync: bool = False
    keep_payloads: bool = False
    # C13/GDPR: archived payloads and protocol entries older than this are purged.
    retention_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 90
    # D5: upper bound for document content; larger files are reported as errors.
    max_document_bytes: Annotated[int, msgspec.Meta(gt=0)] = DEFAULT_MAX_DOCUMENT_BYTES
    # IANA zone for calendar boundaries (C3, D4): iX-Haus customers keep German calendars.
    timezone: str = "Europe/Berlin"

    def __post_init__(self) -> None:
        # Fail fast on values the rules cannot use; the admin API shows these messages.
        if self.portal_lead_days < 0:
            raise ValueError("portal_lead_days must be >= 0")
        if self.deletion_days < 0:
            raise ValueError("deletion_days must be >= 0")
        if self.max_document_bytes <= 0:
            raise ValueError("max_document_bytes must be > 0")
        if self.ticket_user_no is not None and not is_user_number(self.ticket_user_no):
            raise ValueError("ticket_user_no must be a three-digit user number")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None

    def object_enabled(self, object_no: str) -> bool:
        """C3/C4: an object is synchronised if it is in either range."""
        return object_in_range(object_no, self.object_range) or self.full_history(object_no)

    def full_history(self, object_no: str) -> bool:
        return object_in_range(object_no, self.object_range_full_history)

    def teams_filtered(self) -> bool:
        """C8/T2: the team filter only applies with the Komfortpaket and a non-empty list."""
        return self.licences.komfortpaket and bool(self.user_teams)


def is_user_number(value: str) -> bool:
    return len(value) == 3 and value.isdigit()


def number_order(number: str) -> tuple[int, int | str]:
    # Numeric object numbers compare as numbers ("99" < "1000"); others as text.
    stripped = number.strip()
    return (0, int(stripped)) if stripped.isdigit() else (1, stripped)


@functools.lru_cache(maxsize=8192)
def object_in_range(object_no: str, entries: tuple[ObjectRange, ...]) -> bool:
    # Cached: a run asks this for every record, of a few thousand distinct objects.
    return any(entry.contains(object_no) for entry in entries)
