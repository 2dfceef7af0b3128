"""A Litestar key-value store on the gateway's own database (``console_sessions``).

The admin console keeps its sessions in a Litestar store: ``RedisStore`` when ``REDIS_URL`` is
set, this one otherwise, so that every API process sees every session without sticky
sessions. Every operation is one statement by primary key (O(1)); expired rows are deleted
when met, and in one indexed sweep on each ``set`` (a sign-in), so the table holds about as
many rows as there are live sessions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from litestar.stores.base import Store
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.store.models import ConsoleSessionRow
from app.domain.calendar import utcnow

Clock = Callable[[], dt.datetime]
_ROW = ConsoleSessionRow
# A renewal closer than this to the stored expiry is not written (one write per half minute
# of activity at most, not one per request).
RENEW_SLACK = dt.timedelta(seconds=30)


def _seconds(value: int | dt.timedelta | None) -> dt.timedelta | None:
    if value is None:
        return None
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=value)


class DatabaseStore(Store):
    def __init__(self, engine: AsyncEngine, clock: Clock = utcnow) -> None:
        self._engine = engine
        self.clock = clock

    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        ttl = _seconds(expires_in)
        now = self.clock()
        expires_at = now + ttl if ttl is not None else None
        async with self._engine.begin() as conn:
            await conn.execute(delete(_ROW).where(_ROW.expires_at < now))
            changed = await conn.execute(
                update(_ROW).where(_ROW.key == key).values(value=data, expires_at=expires_at)
            )
            if int(getattr(changed, "rowcount", 0)) == 0:
                await conn.execute(insert(_ROW).values(key=key, value=data, expires_at=expires_at))

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_ROW.value, _ROW.expires_at).where(_ROW.key == key))
            ).first()
        if row is None:
            return None
        value, expires_at = row
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            await self.delete(key)
            return None
        renew = _seconds(renew_for)
        if renew is not None and expires_at is not None and now + renew - expires_at > RENEW_SLACK:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(_ROW).where(_ROW.key == key).values(expires_at=now + renew)
                )
        return bytes(value)

    async def delete(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(_ROW).where(_ROW.key == key))

    async def delete_all(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(_ROW))

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        async with self._engine.connect() as conn:
            expires_at = await conn.scalar(select(_ROW.expires_at).where(_ROW.key == key))
        if expires_at is None:
            return None
        return max(0, int((expires_at - self.clock()).total_seconds()))

    async def take(self, key: str) -> bytes | None:
        """Read and delete ``key`` at once: of two concurrent takers, one gets the value."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(select(_ROW.value, _ROW.expires_at).where(_ROW.key == key))
            ).first()
            if row is None:
                return None
            gone = await conn.execute(delete(_ROW).where(_ROW.key == key))
        value, expires_at = row
        if int(getattr(gone, "rowcount", 0)) != 1:
            return None
        if expires_at is not None and expires_at <= self.clock():
            return None
        return bytes(value)
