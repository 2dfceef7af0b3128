"""Sync runs (``sync.ports.Runs``): requested, claimed, finished and listed (rules L1–L3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import ProtocolEntry, SyncRun, SystemConfig
from app.domain.keys import RecordKey
from app.sync.ports import ProtocolLine, ProtocolPage, RunCounts, RunStatus, SyncRunInfo

# Longer than the worker's job timeout (10 min) plus arq's re-run delay after a crash.
STALE_AFTER = dt.timedelta(minutes=30)

_INFO_COLUMNS = tuple(getattr(SyncRun, name) for name in SyncRunInfo.__struct_fields__)


def _abandoned(status: str, started_at: dt.datetime | None, requested_at: dt.datetime) -> bool:
    since = started_at if status == "running" else requested_at
    return since is not None and utcnow() - since > STALE_AFTER


def _info(row: Any) -> SyncRunInfo:
    return SyncRunInfo(**row._asdict())


class SqlRuns:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def request(
        self, system: str, *, trigger: str, requested_by: str | None
    ) -> tuple[SyncRunInfo, bool]:
        """A run of the same system that is still queued or running is returned instead of a
        new one, so a flood of triggers coalesces into one run. One that has been queued or
        running for longer than any run can take (its worker died, its job expired) is
        recorded as abandoned, so a lost job never blocks a system's syncs for good.
        """
        async with self._sessions() as session:
            # Serialise requests per system (two API processes, two workers' schedule ticks):
            # the system's configuration row is locked until this transaction commits
            # (PostgreSQL and Oracle; SQLite has one writer at a time anyway).
            await session.execute(
                select(SystemConfig.system).where(SystemConfig.system == system).with_for_update()
            )
            pending = await session.scalar(
                select(SyncRun)
                .where(SyncRun.system == system, SyncRun.status.in_(("queued", "running")))
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
            if pending is not None and not _abandoned(
                pending.status, pending.started_at, pending.requested_at
            ):
                return await self._get(session, pending.id), False
            if pending is not None:
                pending.last_error = f"abandoned: still {pending.status} after {STALE_AFTER}"
                pending.status = "failed"
                pending.finished_at = utcnow()
            run = SyncRun(system=system, trigger=trigger, requested_by=requested_by)
            session.add(run)
            await session.commit()
            return await self._get(session, run.id), True

    async def fail(self, run_id: int, error: str) -> None:
        await self.finish(run_id, "failed", RunCounts(), error)

    async def claim(self, run_id: int, *, retry: bool) -> str | None:
        """A conditional UPDATE: only a queued run, or a running one whose earlier try died
        (``retry``), is taken; anything else is left alone."""
        claimable = SyncRun.status == "queued"
        if retry:
            claimable = or_(claimable, SyncRun.status == "running")
        async with self._sessions() as session:
            result = await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, claimable)
                .values(status="running", started_at=utcnow(), attempts=SyncRun.attempts + 1)
            )
            await session.commit()
            if int(getattr(result, "rowcount", 0)) == 0:
                return None
            return await session.scalar(select(SyncRun.system).where(SyncRun.id == run_id))

    async def finish(
        self, run_id: int, status: RunStatus, counts: RunCounts, error: str | None
    ) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(
                    status=status,
                    finished_at=utcnow(),
                    sent=counts.sent,
                    skipped=counts.skipped,
                    errors=counts.errors,
                    last_error=error[:1000] if error else None,
                )
            )
            await session.commit()

    async def get(self, run_id: int) -> SyncRunInfo | None:
        async with self._sessions() as session:
            row = (
                await session.execute(select(*_INFO_COLUMNS).where(SyncRun.id == run_id))
            ).first()
            return None if row is None else _info(row)

    async def _get(self, session: AsyncSession, run_id: int) -> SyncRunInfo:
        row = (await session.execute(select(*_INFO_COLUMNS).where(SyncRun.id == run_id))).one()
        return _info(row)

    async def recent(
        self,
        system: str | None,
        limit: int,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[SyncRunInfo]:
        query = select(*_INFO_COLUMNS).order_by(SyncRun.id.desc()).limit(limit)
        if system is not None:
            query = query.where(SyncRun.system == system)
        if since is not None:
            query = query.where(SyncRun.requested_at >= since)
        if before is not None:
            query = query.where(SyncRun.requested_at < before)
        async with self._sessions() as session:
            return [_info(row) for row in await session.execute(query)]

    async def entries(
        self,
        run_id: int,
        *,
        outcome: str | None,
        entity: str | None,
        after: int,
        limit: int,
        offset: int = 0,
    ) -> ProtocolPage | None:
        e = ProtocolEntry
        where = [e.run_id == run_id]
        if outcome is not None:
            where.append(e.outcome == outcome)
        if entity is not None:
            where.append(e.entity_type == entity)
        query = (
            select(e.id, e.entity_type, e.entity_key, e.outcome, e.reason_code, e.message)
            .add_columns(e.created_at)
            .where(*where, e.id > after)
            .order_by(e.id)
            .offset(offset)
            .limit(limit + 1)
        )
        async with self._sessions() as session:
            if await session.scalar(select(SyncRun.id).where(SyncRun.id == run_id)) is None:
                return None
            total = int(await session.scalar(select(func.count()).where(*where)) or 0)
            rows = (await session.execute(query)).all()
        lines = [
            ProtocolLine(
                id=row.id,
                key=RecordKey.from_ledger(row.entity_type, row.entity_key),
                outcome=row.outcome,
                reason_code=row.reason_code,
                message=row.message,
                created_at=row.created_at,
            )
            for row in rows[:limit]
        ]
        more = len(rows) > limit
        return ProtocolPage(lines=lines, total=total, next_cursor=lines[-1].id if more else None)

    async def last_scheduled(self, system: str) -> dt.datetime | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.max(SyncRun.requested_at)).where(
                    SyncRun.system == system, SyncRun.trigger == "schedule"
                )
            )

    async def count_by_status(self) -> dict[tuple[str, str], int]:
        query = select(SyncRun.system, SyncRun.status, func.count()).group_by(
            SyncRun.system, SyncRun.status
        )
        async with self._sessions() as session:
            return {(system, status): int(n) for system, status, n in await session.execute(query)}
