"""The support archive (rule C13) and the P4 scrub, after every record a run writes.

With the keep-payloads switch on, every record sent is archived (as the canonical JSON the
gateway sent, per record and run) for support. Whatever the switch, a person sent as
anonymised (P4) has its earlier archived payloads deleted and its protocol messages blanked,
so no readable personal data of that person stays in the gateway.
"""

from __future__ import annotations

from typing import Any

import msgspec

from app.domain.decisions import Transfer
from app.domain.portal import PersonPayload
from app.sync.ports import LedgerEntry
from app.sync.two_way import SystemArchive


class Archiver:
    """The send engine's hook after every record written to casavi (``AfterSend``)."""

    def __init__(self, archive: SystemArchive, *, run_id: int | None, keep_payloads: bool) -> None:
        self._archive = archive
        self._run_id = run_id
        self._keep = keep_payloads

    async def __call__(self, decision: Transfer[Any], entry: LedgerEntry | None) -> None:
        record = decision.record
        if isinstance(record, PersonPayload) and record.person.anonymised:
            await self._archive.scrub(decision.key)  # P4
        elif self._keep:
            payload = msgspec.json.encode(record)
            await self._archive.keep(self._run_id, decision.key, payload)
