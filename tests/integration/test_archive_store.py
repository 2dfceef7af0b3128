"""The support archive on PostgreSQL: kept per record and run, scrubbed (rule P4), purged after
the retention period in batches together with old protocol entries (rule C13, GDPR)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.archive import SqlPayloadArchive
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ArchivedPayload, ProtocolEntry
from app.domain.keys import RecordKey

PERSON = RecordKey.person("100001")
OTHER = RecordKey.person("100002")


@pytest.fixture
async def sessions(migrated_pg: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_pg)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def _count(sessions: async_sessionmaker[AsyncSession], model: type, system: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(model).where(model.system == system)  # type: ignore[attr-defined]
        return int(await session.scalar(query) or 0)


async def test_kept_scrubbed_and_purged(sessions: async_sessionmaker[AsyncSession]) -> None:
    archive = SqlPayloadArchive(sessions)
    system = "production"  # the other tests of this session use "test"
    for key in (PERSON, OTHER):
        await archive.keep(system, None, key, b'{"last_name": "M\\u00fcller"}')
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        await session.execute(
            insert(ProtocolEntry),
            [
                {
                    "run_id": None,
                    "system": system,
                    "entity_type": "person",
                    "entity_key": key.ledger_key,
                    "outcome": "error",
                    "message": "CasaviRejected: e-mail mueller@example.org is taken",
                    "created_at": now,
                }
                for key in (PERSON, OTHER)
            ],
        )
        await session.commit()

    # rule P4: the anonymised person's payloads go, its protocol messages are blanked
    assert await archive.scrub(system, PERSON) == 1
    async with sessions() as session:
        messages = dict(
            (
                await session.execute(
                    select(ProtocolEntry.entity_key, ProtocolEntry.message).where(
                        ProtocolEntry.system == system
                    )
                )
            ).all()
        )
    assert messages == {PERSON.ledger_key: None, OTHER.ledger_key: messages[OTHER.ledger_key]}
    assert messages[OTHER.ledger_key]
    assert await _count(sessions, ArchivedPayload, system) == 1

    # rule C13: past the retention, payloads and protocol entries are purged in batches
    assert await archive.purge(system, now - dt.timedelta(days=1)) == 0
    async with sessions() as session:
        old = now - dt.timedelta(days=100)
        for model in (ArchivedPayload, ProtocolEntry):
            await session.execute(
                update(model).where(model.system == system).values(created_at=old)
            )
        await session.commit()
    assert await archive.purge(system, now - dt.timedelta(days=90), batch=1) == 3
    assert await _count(sessions, ArchivedPayload, system) == 0
    assert await _count(sessions, ProtocolEntry, system) == 0
