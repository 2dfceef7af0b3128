"""The alert monitor: signals and the shared state -> incidents -> notifications -> sent.

``tick`` does all of it and is safe in any number of processes at once (``store.py``);
``drain`` only writes this process's signals (``events.py``). Every worker runs
``alert_loop`` with ``tick``; an API process runs ``tick`` in embedded mode (it is the only
process) and ``drain`` otherwise (the DocuWare webhook may report a licence shortage there).

Conditions from the shared state, per system:
- the latest finished run failed -> ``run_failed``; a later run that did not fail resolves
  it and a ``breaker_tripped``;
- inbound events parked -> ``inbound_parked`` (the first), ``inbound_parked_many`` (at or
  above the threshold); the oldest received, unprocessed one older than the lag threshold ->
  ``inbound_lag``; each resolved when the condition is over;
- a casavi contract deviation not seen again for an hour is over.

Delivery: at most ``maxPerHour`` messages per system and channel in any hour (the rest wait,
nothing is lost); a failed delivery is retried with a growing delay, eight times at most.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store.alerts import AlertIncident, AlertNotification, AlertStore
from app.adapters.store.models import InboxEvent, SyncRun
from app.alerts import events
from app.alerts.events import NOTICES, Event
from app.alerts.messages import render
from app.alerts.settings import AlertSettings
from app.configuration.document import SYSTEMS, ConfigDocument, System
from app.domain.calendar import utcnow
from app.sync.ports import Configs

log = logging.getLogger(__name__)

LOOP_SECONDS = 5.0
CONTRACT_QUIET = dt.timedelta(hours=1)
MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120.0
_FINISHED = ("succeeded", "partial", "failed")


class AlertMonitor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        configs: Configs,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._configs = configs
        self.clock = clock
        self.store = AlertStore(sessions)
        self._open: dict[tuple[str, str, str], AlertIncident] = {}

    async def tick(self) -> None:
        await self.drain()
        documents = await self._documents()
        await self.evaluate(documents)
        await self.deliver(documents)

    # -- signals -------------------------------------------------------------------------

    async def drain(self) -> None:
        signals = events.drain()
        if not signals:
            return
        active: list[str] | None = None
        now = self.clock()  # drained within seconds of the call: the monitor's time
        for item in signals:
            if item.system is None and active is None:
                active = [s for s, doc in (await self._documents()).items() if doc.active]
            for system in [item.system] if item.system else active or []:
                if item.raised:
                    await self.store.open(system, item.event, item.subject, item.facts, now)
                else:
                    await self.store.resolve(system, item.event, item.subject, now)

    # -- conditions ----------------------------------------------------------------------

    async def evaluate(self, documents: dict[System, ConfigDocument]) -> None:
        now = self.clock()
        # Only what changed is written: a quiet tick reads and writes nothing else.
        self._open = {(i.system, i.event, i.subject): i for i in await self.store.open_incidents()}
        for system, doc in documents.items():
            await self._runs(system, now)
            await self._inbox(system, doc.alerts, now)
        for incident in self._open.values():
            stale = incident.last_seen_at < now - CONTRACT_QUIET
            if incident.event == Event.CASAVI_CONTRACT and stale:
                await self.store.resolve(incident.system, incident.event, incident.subject, now)

    async def _runs(self, system: str, now: dt.datetime) -> None:
        async with self._sessions() as session:
            last = await session.scalar(
                select(SyncRun)
                .where(SyncRun.system == system, SyncRun.status.in_(_FINISHED))
                .order_by(SyncRun.id.desc())
                .limit(1)
            )
        if last is None:
            return
        facts = {"run": last.id, "errors": last.errors}
        await self._condition(system, Event.RUN_FAILED, last.status == "failed", facts, now)
        if last.status != "failed":
            await self._condition(system, Event.BREAKER_TRIPPED, False, {}, now)

    async def _inbox(self, system: str, alerts: AlertSettings, now: dt.datetime) -> None:
        async with self._sessions() as session:
            parked = int(
                await session.scalar(
                    select(func.count()).where(
                        InboxEvent.system == system, InboxEvent.status == "parked"
                    )
                )
                or 0
            )
            oldest = await session.scalar(
                select(func.min(InboxEvent.received_at)).where(
                    InboxEvent.system == system, InboxEvent.status == "received"
                )
            )
        threshold = alerts.parked_threshold
        facts: dict[str, Any] = {"parked": parked, "threshold": threshold}
        await self._condition(system, Event.INBOUND_PARKED, parked > 0, facts, now)
        await self._condition(system, Event.INBOUND_PARKED_MANY, parked >= threshold, facts, now)
        minutes = 0 if oldest is None else int((now - oldest).total_seconds() // 60)
        lag = {"minutes": minutes, "threshold": alerts.lag_threshold_minutes}
        late = minutes >= alerts.lag_threshold_minutes
        await self._condition(system, Event.INBOUND_LAG, late, lag, now)

    async def _condition(
        self, system: str, event: Event, holds: bool, facts: dict[str, Any], now: dt.datetime
    ) -> None:
        current = self._open.get((system, event, ""))
        if holds and (current is None or current.facts != facts):
            await self.store.open(system, event, "", facts, now)
        elif not holds and current is not None:
            await self.store.resolve(system, event, "", now)

    # -- notifications -------------------------------------------------------------------

    async def deliver(self, documents: dict[System, ConfigDocument]) -> None:
        for incident in await self.store.unplanned():
            await self._plan(incident, documents[incident.system].alerts)  # type: ignore[index]
        now = self.clock()
        for row in await self.store.claim_due(now, CLAIM_SECONDS):
            alerts = documents[row.system].alerts  # type: ignore[index]
            await self._send(row, alerts, now)

    async def _plan(self, incident: AlertIncident, alerts: AlertSettings) -> None:
        wanted = [c for c, on in (("email", alerts.email_on), ("webhook", alerts.webhook_on)) if on]
        if incident.event in NOTICES:
            await self.store.plan(incident, "notice", wanted, drop=False)
        elif incident.planned == 0 and incident.resolved_at is None:
            await self.store.plan(incident, "opened", wanted, drop=False)
        elif incident.planned == 0:  # over before it was ever told: nothing to say
            await self.store.plan(incident, None, [], drop=False)
        elif await self.store.opened_sent(incident.id):
            await self.store.plan(incident, "resolved", wanted, drop=False)
        else:  # resolved before its "opened" went out: say neither
            await self.store.plan(incident, None, [], drop=True)

    async def _send(self, row: AlertNotification, alerts: AlertSettings, now: dt.datetime) -> None:
        on = alerts.email_on if row.channel == "email" else alerts.webhook_on
        if not on:
            await self.store.finish(row.id, status="dropped", last_error="channel switched off")
            return
        hour_ago = now - dt.timedelta(hours=1)
        if await self.store.sent_since(row.system, row.channel, hour_ago) >= alerts.max_per_hour:
            later = now + dt.timedelta(minutes=5)
            await self.store.finish(row.id, next_attempt_at=later, last_error="rate limit")
            return
        incident = await self.store.incident(row.incident_id)
        if incident is None:
            await self.store.finish(row.id, status="dropped", last_error="incident purged")
            return
        message = render(
            incident_id=incident.id,
            system=incident.system,
            event=Event(incident.event),
            subject=incident.subject,
            phase=row.phase,
            facts=incident.facts,
            opened_at=incident.opened_at,
            resolved_at=incident.resolved_at,
            language=alerts.language,
        )
        from app.alerts import channels  # smtplib and httpx only where alerts are sent

        try:
            if row.channel == "email":
                password = await self._secret(row.system, "alertSmtpPassword")
                await channels.send_email(alerts.email, password, message)
            else:
                secret = await self._secret(row.system, "alertWebhookSecret")
                await channels.send_webhook(alerts.webhook, secret, message)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, channels.DeliveryFailed) else type(exc).__name__
            attempts = row.attempts + 1
            retry = now + dt.timedelta(seconds=min(30 * 2**attempts, 3600))
            final = attempts >= MAX_ATTEMPTS
            log.warning("alert %s via %s not delivered: %s", row.id, row.channel, reason)
            await self.store.finish(
                row.id,
                attempts=attempts,
                last_error=reason[:300],
                status="failed" if final else "pending",
                next_attempt_at=None if final else retry,
            )
            return
        await self.store.finish(
            row.id, status="sent", sent_at=self.clock(), attempts=row.attempts + 1
        )

    # -- configuration -------------------------------------------------------------------

    async def _documents(self) -> dict[System, ConfigDocument]:
        return {system: await self._configs.document(system) for system in SYSTEMS}

    async def _secret(self, system: str, name: str) -> str | None:
        return await self._configs.secret(system, name)


async def alert_loop(monitor: AlertMonitor, *, full: bool, seconds: float = LOOP_SECONDS) -> None:
    """``tick`` (or only ``drain``) every few seconds until cancelled; a failed round is
    logged by its error type and tried again on the next."""
    while True:
        try:
            await (monitor.tick() if full else monitor.drain())
        except Exception as exc:
            log.warning("alerts: %s failed: %s", "tick" if full else "drain", type(exc).__name__)
        await asyncio.sleep(seconds)
