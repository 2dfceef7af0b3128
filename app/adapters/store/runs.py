"""Sync runs (``sync.ports.Runs``): requested, claimed, finished and listed (rules L1–L3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.base import utcnow
from app.adapters.store.models import ProtocolEntry, SyncRun
from app.domain.keys import RecordKey
from app.sync.ports import (
    ProtocolLine,
    ProtocolPage,
    RunClaim,
    RunCounts,
    RunStatus,
    SyncRunInfo,
)

_INFO_COLUMNS = tuple(getattr(SyncRun, name) for name in SyncRunInfo.__struct_fields__)
# The last sign of life of a pending run: its heartbeat, else its start, else its request.
_ALIVE_AT = func.coalesce(SyncRun.heartbeat_at, SyncRun.started_at, SyncRun.requested_at)


def _info(row: Any) -> SyncRunInfo:
    return SyncRunInfo(**row._asdict())


class SqlRuns:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def request(
        self, system: str, *, trigger: str, requested_by: str | None
    ) -> tuple[SyncRunInfo, bool]:
        """A run of the same system that is still queued or running is returned instead of a
        new one, so a flood of triggers coalesces into one run.

        The unique ``active_system`` column decides, on every backend: of two concurrent
        inserts one fails, and that request returns the other's run. (A pending run whose
        worker died is not failed here: ``request_run`` takes it over.)
        """
        for _ in range(5):
            async with self._sessions() as session:
                pending = await session.scalar(
                    select(SyncRun.id).where(SyncRun.active_system == system)
                )
                if pending is not None:
                    return await self._get(session, pending), False
                run = SyncRun(
                    system=system,
                    trigger=trigger,
                    requested_by=requested_by,
                    active_system=system,
                )
                session.add(run)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    continue  # another request won; return its run
                return await self._get(session, run.id), True
        raise RuntimeError(f"no pending run of {system} found, and none could be created")

    async def fail(self, run_id: int, error: str) -> None:
        await self.finish(run_id, "failed", RunCounts(), error)

    async def claim(self, run_id: int, *, stale_before: dt.datetime) -> RunClaim | None:
        """A conditional UPDATE: a queued run, or a running one whose heartbeat stopped
        before ``stale_before``, is taken; anything else is left alone."""
        claimable = or_(
            SyncRun.status == "queued",
            and_(SyncRun.status == "running", stale_before > _ALIVE_AT),
        )
        now = utcnow()
        async with self._sessions() as session:
            result = await session.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id, SyncRun.active_system.is_not(None), claimable)
                .values(
                    status="running",
                    started_at=func.coalesce(
                        SyncRun.started_at, literal(now, SyncRun.started_at.type)
                    ),
                    heartbeat_at=now,
                    attempts=SyncRun.attempts + 1,
                )
            )
            await session.commit()
            if int(getattr(result, "rowcount", 0)) == 0:
                return None
            row = (
                await session.execute(
                    select(SyncRun.system, SyncRun.attempts).where(SyncRun.id == run_id)
                )
            ).one()
            return RunClaim(system=row.system, attempt=row.attempts)

    async def _held(self, run_id: int, attempt: int, **values: Any) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(SyncRun)
                .where(
                    SyncRun.id == run_id,
                    SyncRun.attempts == attempt,
                    SyncRun.status == "running",
                )
                .values(**values)
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0)) > 0

    async def heartbeat(self, run_id: int, attempt: int) -> bool:
        return await self._held(run_id, attempt, heartbeat_at=utcnow())

    async def release(self, run_id: int, attempt: int, error: str, *, sent: int = 0) -> bool:
        return await self._held(
            run_id,
            attempt,
            status="queued",
            heartbeat_at=utcnow(),
            last_error=error[:1000],
            sent=sent,
        )

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        counts: RunCounts,
        error: str | None,
        *,
        attempt: int | None = None,
    ) -> bool:
        condition = [SyncRun.id == run_id]
        if attempt is not None:
            condition.append(SyncRun.attempts == attempt)
        async with self._sessions() as session:
            result = await session.execute(
                update(SyncRun)
                .where(*condition)
                .values(
                    status=status,
                    finished_at=utcnow(),
                    active_system=None,
                    sent=counts.sent,
                    unchanged=counts.unchanged,
                    excluded=counts.excluded,
                    errors=counts.errors,
                    waiting=counts.waiting,
                    last_error=error[:1000] if error else None,
                )
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0)) > 0

    async def totals(self, run_id: int) -> RunCounts:
        e = ProtocolEntry
        query = select(e.outcome, func.count()).where(e.run_id == run_id).group_by(e.outcome)
        async with self._sessions() as session:
            lines = {outcome: int(n) for outcome, n in await session.execute(query)}
        return RunCounts(
            sent=lines.get("sent", 0) + lines.get("deleted", 0),
            excluded=lines.get("excluded", 0),
            errors=lines.get("error", 0),
        )

    async def written_keys(self, run_id: int) -> set[str]:
        e = ProtocolEntry
        query = select(e.entity_key).where(e.run_id == run_id).distinct()
        async with self._sessions() as session:
            return set((await session.execute(query)).scalars())

    async def stale(self, before: dt.datetime) -> list[SyncRunInfo]:
        query = (
            select(*_INFO_COLUMNS)
            .where(SyncRun.active_system.is_not(None), before > _ALIVE_AT)
            .order_by(SyncRun.id)
        )
        async with self._sessions() as session:
            return [_info(row) for row in await session.execute(query)]

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
