"""The support archive (``sync.ports.PayloadArchive``, rule C13) and the retention purge of
archived payloads and protocol entries; the P4 scrub of an anonymised person.

A payload is stored masked (``app.domain.archive_masking``): no bank data, contact details or
names in readable form, whatever the caller hands in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import ArchivedPayload, ProtocolEntry
from app.domain.archive_masking import mask_payload
from app.domain.keys import RecordKey


class SqlPayloadArchive:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def keep(self, system: str, run_id: int | None, key: RecordKey, payload: bytes) -> None:
        async with self._sessions() as session:
            session.add(
                ArchivedPayload(
                    run_id=run_id,
                    system=system,
                    entity_type=key.kind.value,
                    entity_key=key.ledger_key,
                    direction="outbound",
                    payload=mask_payload(payload),
                    created_at=utcnow(),
                )
            )
            await session.commit()

    async def scrub(self, system: str, key: RecordKey) -> int:
        a, e = ArchivedPayload, ProtocolEntry
        async with self._sessions() as session:
            gone = await session.execute(
                delete(a).where(
                    a.system == system,
                    a.entity_type == key.kind.value,
                    a.entity_key == key.ledger_key,
                )
            )
            # Protocol messages quote casavi's answers, which may echo personal data.
            await session.execute(
                update(e)
                .where(
                    e.system == system,
                    e.entity_type == key.kind.value,
                    e.entity_key == key.ledger_key,
                    e.message.is_not(None),
                )
                .values(message=None)
            )
            await session.commit()
        return int(getattr(gone, "rowcount", 0))

    async def purge(self, system: str, before: dt.datetime, *, batch: int = 1000) -> int:
        purged = 0
        for model in (ArchivedPayload, ProtocolEntry):
            while True:
                ids = (
                    select(model.id)
                    .where(model.system == system, model.created_at < before)
                    .limit(batch)
                )
                async with self._sessions() as session:
                    found = list(await session.scalars(ids))
                    if found:
                        await session.execute(delete(model).where(model.id.in_(found)))
                        await session.commit()
                purged += len(found)
                if len(found) < batch:
                    break
        return purged
