"""Alert incidents and their notifications (the outbox), in the gateway's own database.

One open incident per (system, event, subject): ``open_key`` holds that triple while the
incident is open and NULL once resolved, and its plain unique constraint keeps a second
one from opening on every backend (as ``sync_runs.active_system`` does). ``planned`` says
which of its notifications were put in the outbox: 0 none, 1 "opened", 2 all it will get.
Every step is a conditional UPDATE or an insert under that constraint, so any number of
processes may run the monitor at once and each incident is told once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Identity, Index, Integer, String, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.store.base import Base, utcnow
from app.adapters.store.json_text import JSONText

Facts = dict[str, Any]


class AlertIncident(Base):
    __tablename__ = "alert_incidents"
    __table_args__ = (Index("ix_alert_incidents_system_opened", "system", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128), default="")
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    facts: Mapped[Facts] = mapped_column(JSONText, default=dict)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    planned: Mapped[int] = mapped_column(Integer, default=0)


class AlertNotification(Base):
    __tablename__ = "alert_notifications"
    __table_args__ = (
        Index("ix_alert_notifications_status", "status", "next_attempt_at"),
        Index("ix_alert_notifications_sent", "system", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("alert_incidents.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # email | webhook
    phase: Mapped[str] = mapped_column(String(16))  # opened | resolved | notice
    status: Mapped[str] = mapped_column(String(16), default="pending")  # sent|failed|dropped
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    # What went wrong, by error type and status code only (never a server's text or secret).
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)


def open_key(system: str, event: str, subject: str) -> str:
    return f"{system}:{event}:{subject}"


def notice(system: str, event: str, facts: Facts, at: dt.datetime) -> AlertIncident:
    """An incident that is over as it happens (a configuration change): told once."""
    return AlertIncident(
        system=system, event=event, facts=facts, opened_at=at, last_seen_at=at, resolved_at=at
    )


class AlertStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def open(
        self, system: str, event: str, subject: str, facts: Facts, at: dt.datetime
    ) -> bool:
        """Open the incident, or note that it is still going on; True when it opened now."""
        key = open_key(system, event, subject)
        for _ in range(2):
            async with self._sessions() as session:
                changed = await session.execute(
                    update(AlertIncident)
                    .where(AlertIncident.open_key == key)
                    .values(last_seen_at=at, facts=facts)
                )
                if getattr(changed, "rowcount", 0):
                    await session.commit()
                    return False
                session.add(
                    AlertIncident(
                        system=system,
                        event=event,
                        subject=subject,
                        open_key=key,
                        facts=facts,
                        opened_at=at,
                        last_seen_at=at,
                    )
                )
                try:
                    await session.commit()
                    return True
                except IntegrityError:  # another process opened it a moment ago
                    await session.rollback()
        return False

    async def resolve(self, system: str, event: str, subject: str, at: dt.datetime) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(AlertIncident)
                .where(AlertIncident.open_key == open_key(system, event, subject))
                .values(open_key=None, resolved_at=at)
            )
            await session.commit()
        return bool(getattr(result, "rowcount", 0))

    async def open_incidents(self, system: str | None = None) -> list[AlertIncident]:
        query = select(AlertIncident).where(AlertIncident.open_key.is_not(None))
        if system is not None:
            query = query.where(AlertIncident.system == system)
        async with self._sessions() as session:
            return list(await session.scalars(query.order_by(AlertIncident.opened_at)))

    async def recent(self, system: str, limit: int) -> list[AlertIncident]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AlertIncident)
                .where(AlertIncident.system == system)
                .order_by(AlertIncident.id.desc())
                .limit(limit)
            )
            return list(rows)

    async def unplanned(self) -> list[AlertIncident]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AlertIncident)
                .where(
                    (AlertIncident.planned == 0)
                    | ((AlertIncident.planned == 1) & AlertIncident.resolved_at.is_not(None))
                )
                .order_by(AlertIncident.id)
            )
            return list(rows)

    async def plan(
        self, incident: AlertIncident, phase: str | None, channels: list[str], *, drop: bool
    ) -> None:
        """Move ``incident`` to its next ``planned`` state and, in the same transaction, put
        ``phase``'s notifications in the outbox; ``drop``: its "opened" ones never went out
        (it was over before), so they are dropped and nothing more is said."""
        after = 1 if incident.resolved_at is None else 2
        async with self._sessions() as session:
            moved = await session.execute(
                update(AlertIncident)
                .where(AlertIncident.id == incident.id, AlertIncident.planned == incident.planned)
                .values(planned=after)
            )
            if not getattr(moved, "rowcount", 0):
                return  # another process planned it
            if drop:
                await session.execute(
                    update(AlertNotification)
                    .where(
                        AlertNotification.incident_id == incident.id,
                        AlertNotification.status == "pending",
                    )
                    .values(status="dropped", last_error="resolved before it was sent")
                )
            for channel in channels if phase else ():
                session.add(
                    AlertNotification(
                        incident_id=incident.id,
                        system=incident.system,
                        channel=channel,
                        phase=phase,
                    )
                )
            await session.commit()

    async def opened_sent(self, incident_id: int) -> bool:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    AlertNotification.incident_id == incident_id,
                    AlertNotification.phase == "opened",
                    AlertNotification.status != "dropped",
                    AlertNotification.sent_at.is_not(None),
                )
            )
        return bool(count)

    async def claim_due(self, now: dt.datetime, hold_seconds: float) -> list[AlertNotification]:
        """Pending notifications that are due, each claimed by this process for a while."""
        async with self._sessions() as session:
            due = list(
                await session.scalars(
                    select(AlertNotification)
                    .where(
                        AlertNotification.status == "pending",
                        (AlertNotification.next_attempt_at.is_(None))
                        | (AlertNotification.next_attempt_at <= now),
                        (AlertNotification.claimed_until.is_(None))
                        | (AlertNotification.claimed_until < now),
                    )
                    .order_by(AlertNotification.id)
                    .limit(100)
                )
            )
            claimed = []
            until = now + dt.timedelta(seconds=hold_seconds)
            for row in due:
                result = await session.execute(
                    update(AlertNotification)
                    .where(
                        AlertNotification.id == row.id,
                        AlertNotification.status == "pending",
                        (AlertNotification.claimed_until.is_(None))
                        | (AlertNotification.claimed_until < now),
                    )
                    .values(claimed_until=until)
                )
                if getattr(result, "rowcount", 0):
                    claimed.append(row)
            await session.commit()
            for row in claimed:
                session.expunge(row)
            return claimed

    async def incident(self, incident_id: int) -> AlertIncident | None:
        async with self._sessions() as session:
            return await session.get(AlertIncident, incident_id)

    async def sent_since(self, system: str, channel: str, since: dt.datetime) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    AlertNotification.system == system,
                    AlertNotification.channel == channel,
                    AlertNotification.sent_at >= since,
                )
            )
        return int(count or 0)

    async def finish(self, notification_id: int, **values: Any) -> None:
        """Record a delivery's end (sent, failed, dropped, or postponed) and release it."""
        async with self._sessions() as session:
            await session.execute(
                update(AlertNotification)
                .where(AlertNotification.id == notification_id)
                .values(claimed_until=None, **values)
            )
            await session.commit()

    async def notifications(self, system: str, limit: int) -> list[AlertNotification]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AlertNotification)
                .where(AlertNotification.system == system)
                .order_by(AlertNotification.id.desc())
                .limit(limit)
            )
            return list(rows)
