"""The portal as a run sees it with the support archive (rule C13) and the P4 scrub.

With the keep-payloads switch on, every record sent is archived (as the canonical JSON the
gateway sent, per record and run) for support. Whatever the switch, a person sent as
anonymised (P4) has its earlier archived payloads deleted and its protocol messages blanked,
so no readable personal data of that person stays in the gateway.
"""

from __future__ import annotations

import msgspec

from app.domain.keys import RecordKey
from app.domain.portal import PersonPayload
from app.sync.ports import PayloadArchive, Portal, PortalRecord


class ArchivingPortal:
    def __init__(
        self,
        portal: Portal,
        archive: PayloadArchive,
        *,
        system: str,
        run_id: int | None,
        keep_payloads: bool,
    ) -> None:
        self._portal = portal
        self._archive = archive
        self._system = system
        self._run_id = run_id
        self._keep = keep_payloads

    async def put(
        self,
        key: RecordKey,
        record: PortalRecord,
        *,
        exists: bool = False,
        casavi_id: str | None = None,
    ) -> str:
        reference = await self._portal.put(key, record, exists=exists, casavi_id=casavi_id)
        if isinstance(record, PersonPayload) and record.person.anonymised:
            await self._archive.scrub(self._system, key)  # P4
        elif self._keep:
            await self._archive.keep(self._system, self._run_id, key, msgspec.json.encode(record))
        return reference

    async def remove(self, key: RecordKey, *, casavi_id: str | None = None) -> None:
        await self._portal.remove(key, casavi_id=casavi_id)
