"""Alert delivery: the hourly rate limit, German messages, retries of a failing webhook,
an incident over before it was told, incomplete settings refused, and several monitors at
once on PostgreSQL telling each incident once."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.store import migrate
from app.adapters.store.alerts import AlertIncident, AlertNotification
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.models import ConfigChange, SystemConfig
from app.alerts import events
from app.alerts.monitor import AlertMonitor
from app.configuration.secrets import SecretBox
from app.domain.calendar import utcnow
from app.errors import InvalidInput
from tests.support.alert_sinks import WebhookReceiver

SECRET_KEY = base64.urlsafe_b64encode(b"alerts-delivery-key-0123456789ab").decode()
WEBHOOK_SECRET = "whsec-delivery"


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
async def sessions(state_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(state_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(WEBHOOK_SECRET).start()
    try:
        yield hook
    finally:
        hook.stop()


async def _configure(
    sessions: async_sessionmaker[AsyncSession], alerts: dict[str, Any], **extra: Any
) -> None:
    async with sessions() as session:
        await ConfigRows(session, SecretBox(SECRET_KEY)).patch(
            "production",
            {"alerts": alerts, "secrets": {"alertWebhookSecret": _twice(WEBHOOK_SECRET)}, **extra},
            "admin",
        )


async def test_rate_limit_german_retries_and_what_is_over_before_it_is_told(
    sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    await _configure(
        sessions, {"language": "de", "maxPerHour": 2, "webhook": {"url": receiver.url}}
    )
    now = [utcnow()]
    monitor = AlertMonitor(
        sessions, SqlConfigs(sessions, SecretBox(SECRET_KEY)), clock=lambda: now[0]
    )
    events.drain()
    events.breaker_tripped("production", 41)
    for operation in ("GET /v2/tickets", "GET /v2/contacts"):
        events.contract_deviation(operation, "production")
    await monitor.tick()
    # Two per hour: the third waits (the system is not active: no configuration notice).
    told = [(b["event"], b["subject"]) for b in receiver.bodies]
    assert told == [("breaker_tripped", None), ("casavi_contract", "GET /v2/tickets")]
    assert receiver.bodies[0]["title"] == (
        "[portal-gateway Produktiv] casavi antwortet nicht: Lauf abgebrochen"
    )
    assert "Lauf 41 wurde nach mehreren Fehlversuchen" in receiver.bodies[0]["text"]
    assert (await _statuses(sessions)).count("pending") == 1

    # An hour later the third may go out, but the receiver fails: retried with a delay.
    now[0] += dt.timedelta(minutes=61)
    for operation in ("GET /v2/tickets", "GET /v2/contacts"):  # still going on
        events.contract_deviation(operation, "production")
    receiver.fail_with = 503
    await monitor.tick()
    async with sessions() as session:
        row = await session.scalar(
            select(AlertNotification).where(AlertNotification.status == "pending")
        )
    assert row is not None
    assert (row.attempts, row.last_error) == (1, "HTTP 503")
    receiver.fail_with = None
    await monitor.tick()  # not due yet
    assert len(receiver.bodies) == 2
    now[0] += dt.timedelta(minutes=2)
    await monitor.tick()
    assert receiver.bodies[-1]["subject"] == "GET /v2/contacts"
    assert len(receiver.bodies) == 3

    # Over before it was told: a rate-limited "opened" is dropped, no "resolved" follows.
    await _configure(
        sessions, {"language": "de", "maxPerHour": 1, "webhook": {"url": receiver.url}}
    )
    events.docuware_logon("production", licence_available=False)
    await monitor.tick()
    events.docuware_logon("production", licence_available=True)
    await monitor.tick()
    statuses = await _notification_events(sessions)
    assert statuses["docuware_licence"] == ["dropped"]
    assert len(receiver.bodies) == 3
    assert receiver.bad_signatures == 0


async def _statuses(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(AlertNotification.status)))


async def _notification_events(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(AlertIncident.event, AlertNotification.status).join(
                AlertNotification, AlertNotification.incident_id == AlertIncident.id
            )
        )
        found: dict[str, list[str]] = {}
        for event, status in rows:
            found.setdefault(event, []).append(status)
        return found


async def test_incomplete_alert_settings_are_refused_with_their_field(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await _configure(sessions, {"email": {"recipients": ["ops@example.org"]}})
    fields = {field for field, _ in caught.value.errors}
    assert fields == {"alerts.email.smtpHost", "alerts.email.sender"}


def test_the_breaker_is_told_only_for_a_run_the_breaker_stopped() -> None:
    from app.sync.outbound.breaker import CasaviDown

    events.drain()
    events.run_stopped("test", 7, RuntimeError("bug"))
    assert events.drain() == []
    events.run_stopped("test", 8, CasaviDown("casavi unavailable: 5 calls in a row failed"))
    (signal,) = events.drain()
    assert (signal.event, signal.system, signal.facts) == ("breaker_tripped", "test", {"run": 8})
    events.contract_deviation("GET /v2/tickets?name=<Erika Mustermann>\n" + "x" * 200)
    (signal,) = events.drain()
    assert signal.system is None  # every active system is told
    assert "<" not in signal.subject
    assert "\n" not in signal.subject
    assert len(signal.subject) <= 80


@pytest.fixture
async def pg_sessions(migrated_pg: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated_pg)
    factory = create_session_factory(engine)
    await _clean(factory)
    try:
        yield factory
    finally:
        await _clean(factory)
        await engine.dispose()


async def _clean(factory: async_sessionmaker[AsyncSession]) -> None:
    async with factory() as session:
        for model in (AlertNotification, AlertIncident, ConfigChange):
            await session.execute(delete(model))
        await session.execute(update(SystemConfig).values(active=False, settings={}, version=0))
        await session.commit()


async def test_several_monitors_at_once_tell_each_incident_once_on_postgresql(
    pg_sessions: async_sessionmaker[AsyncSession], receiver: WebhookReceiver
) -> None:
    await _configure(pg_sessions, {"webhook": {"url": receiver.url}})
    monitors = [
        AlertMonitor(pg_sessions, SqlConfigs(pg_sessions, SecretBox(SECRET_KEY))) for _ in range(4)
    ]
    events.drain()
    for monitor in monitors:  # each process saw the same deviations
        for operation in ("GET /v2/tickets", "GET /v2/units"):
            events.contract_deviation(operation, "production")
        await monitor.drain()
    for _ in range(3):
        await asyncio.gather(*(m.tick() for m in monitors))
    # (The shared database may hold other tests' runs and inbox events: only the deviations.)
    told = sorted(b["subject"] for b in receiver.bodies if b["event"] == "casavi_contract")
    assert told == ["GET /v2/tickets", "GET /v2/units"]
    async with pg_sessions() as session:
        incidents = list(
            await session.scalars(
                select(AlertIncident).where(AlertIncident.event == "casavi_contract")
            )
        )
    assert len(incidents) == 2
