"""Alerts end to end on the embedded default (SQLite): every event reaches a local SMTP sink
(STARTTLS, AUTH) and a local webhook receiver (HMAC-signed) once per incident, then once
"resolved"; a configuration change once as a notice; nothing in any message matches a secret
or the sandbox's personal data. The DocuWare licence shortage comes from a real logon against
the DocuWare simulator; the others from the gateway's state and the code paths' calls."""

from __future__ import annotations

import base64
import datetime as dt
import email
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.docuware import LicencesExhausted, docuware_client
from app.adapters.factories import docuware_config
from app.adapters.store import migrate
from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.config_rows import ConfigRows
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.adapters.store.inbox import SqlInbox
from app.adapters.store.models import InboxEvent
from app.adapters.store.runs import SqlRuns
from app.alerts import events
from app.alerts.monitor import AlertMonitor
from app.asgi import create_app
from app.configuration.secrets import SecretBox
from app.domain.calendar import utcnow
from app.environment import load_settings
from app.sandbox.casavi import ServerThread
from app.sandbox.config import sandbox_config_patch
from app.sandbox.docuware import SANDBOX_PASSWORD, SANDBOX_USER, create_docuware_simulator
from app.sandbox.docuware.catalogue import MAIN_CABINET
from app.sandbox.ixhaus import seed
from app.sync.ports import NewInboxEvent, RunCounts
from tests.support.alert_sinks import (
    SmtpSink,
    WebhookReceiver,
    self_signed,
    start_smtp_sink,
)

SECRET_KEY = base64.urlsafe_b64encode(b"alerts-test-key-0123456789abcdef").decode()
SMTP_PASSWORD = "smtp-pass-Zq81!"
WEBHOOK_SECRET = "whsec-alerts-7Hk2"
CASAVI_KEY, CASAVI_SECRET = "casavi-key-Pw93", "casavi-secret-Lm28"
PERSON = ("Erika", "Mustermann-Alarm", "erika.alarm@example.org")  # in payloads, never out
EVENTS = {
    "run_failed",
    "breaker_tripped",
    "inbound_parked",
    "inbound_parked_many",
    "inbound_lag",
    "docuware_licence",
    "casavi_contract",
}


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
async def ixhaus_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ixhaus.db'}"
    await seed(url, "small", 1)
    return url


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
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SmtpSink, int]]:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the sink's certificate is trusted
    sink = SmtpSink("alerts", SMTP_PASSWORD)
    controller = start_smtp_sink(sink, cert, key)
    try:
        yield sink, int(controller.port)
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver(WEBHOOK_SECRET).start()
    try:
        yield hook
    finally:
        hook.stop()


@pytest.fixture
def docuware() -> Iterator[tuple[str, Any]]:
    app = create_docuware_simulator()
    thread = ServerThread(app).start()
    try:
        yield thread.base_url, app
    finally:
        thread.stop()


def alert_settings(smtp_port: int, hook_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "language": "en",
        "parkedThreshold": 2,
        "lagThresholdMinutes": 1,
        "email": {
            "recipients": ["ops@example.org", "oncall@example.org"],
            "sender": "gateway@example.org",
            "smtpHost": "127.0.0.1",
            "smtpPort": smtp_port,
            "smtpUsername": "alerts",
        },
        "webhook": {"url": hook_url},
        **extra,
    }


async def _faults(base_url: str, **faults: Any) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        (await http.put("/_sandbox/faults", json=faults)).raise_for_status()


def _mails(sink: SmtpSink) -> list[tuple[str, str]]:
    """(subject, body) of each mail."""
    found = []
    for raw in sink.messages:
        mail = email.message_from_string(raw)
        body = mail.get_payload(decode=True)
        assert isinstance(body, bytes)
        found.append((str(mail["Subject"]), body.decode()))
    return found


def _told(receiver: WebhookReceiver) -> Counter[tuple[str, str]]:
    return Counter((b["event"], b["phase"]) for b in receiver.bodies)


async def test_every_event_is_told_once_and_resolved_once_with_nothing_personal_or_secret(
    sessions: async_sessionmaker[AsyncSession],
    ixhaus_url: str,
    smtp: tuple[SmtpSink, int],
    receiver: WebhookReceiver,
    docuware: tuple[str, Any],
) -> None:
    sink, smtp_port = smtp
    dw_url, _ = docuware
    box = SecretBox(SECRET_KEY)
    async with sessions() as session:
        await ConfigRows(session, box).patch(
            "test",
            {
                **sandbox_config_patch("small"),
                "active": True,
                "casavi": {"baseUrl": "http://127.0.0.1:9"},
                "docuware": {
                    "baseUrl": dw_url,
                    "username": SANDBOX_USER,
                    "fileCabinetId": MAIN_CABINET,
                },
                "alerts": alert_settings(smtp_port, receiver.url),
                "secrets": {
                    "ixhausDatabaseUrl": _twice(ixhaus_url),
                    "casaviApiKey": _twice(CASAVI_KEY),
                    "casaviSecret": _twice(CASAVI_SECRET),
                    "docuwarePassword": _twice(SANDBOX_PASSWORD),
                    "alertSmtpPassword": _twice(SMTP_PASSWORD),
                    "alertWebhookSecret": _twice(WEBHOOK_SECRET),
                },
            },
            "admin-key",
        )
    now = [utcnow()]
    monitor = AlertMonitor(sessions, SqlConfigs(sessions, box), clock=lambda: now[0])
    events.drain()  # nothing left over from another test in this process

    # A configuration change of an active system: a notice, no "resolved" to follow.
    await monitor.tick()
    assert _told(receiver) == Counter({("config_changed", "notice"): 1})

    # Every event at once.
    runs, inbox = SqlRuns(sessions), SqlInbox(sessions)
    failed = await _finished_run(runs, "failed", f"casavi said: {PERSON[1]} unknown")
    added = await inbox.add(
        "test",
        [
            NewInboxEvent(
                external_id=f"evt-{n}",
                event_type="ticket.message.created",
                ticket_ref=f"t-{n}",
                occurred_at=utcnow(),
                payload={"author": " ".join(PERSON), "content": "Hallo"},
            )
            for n in range(3)
        ],
    )
    ids = {e.external_id: e for e in await inbox.list("test", status=None, limit=10)}
    parked = [ids["evt-0"].id, ids["evt-1"].id]
    await inbox.park(parked, f"no iX-Haus person for {PERSON[2]}", utcnow())
    lagging = ids["evt-2"].id
    await _received_minutes_ago(sessions, lagging, 5)
    assert len(added) == 3
    settings = await SqlConfigs(sessions, box).settings("test")
    await _faults(dw_url, maxSessions=0)
    config = docuware_config(settings)
    assert config is not None
    async with docuware_client(config) as client:
        with pytest.raises(LicencesExhausted):
            await client.logon()
    events.breaker_tripped("test", failed)  # as execute_run reports a tripped breaker
    events.contract_deviation("GET /v2/tickets/{id}", "test")
    await monitor.tick()
    opened = {(event, "opened"): 1 for event in EVENTS}
    assert _told(receiver) == Counter({("config_changed", "notice"): 1, **opened})
    await monitor.tick()  # once per incident: nothing more while they last
    assert len(receiver.bodies) == 1 + len(EVENTS)
    assert len(sink.messages) == 1 + len(EVENTS)

    # What operators see over the API (and the console's overview) meanwhile.
    app = create_app(
        load_settings({"DATABASE_URL": _url(sessions), "GATEWAY_SECRET_KEY": SECRET_KEY})
    )
    key = await _admin_key(sessions)
    async with AsyncTestClient(app) as client:
        response = await client.get("/api/v1/systems/test/alerts", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    view = response.json()
    assert {i["event"] for i in view["open"]} == EVENTS
    assert all(n["status"] == "sent" for i in view["open"] for n in i["notifications"])

    # Everything gets better.
    await _finished_run(runs, "succeeded", None)
    for event_id in parked:
        await inbox.discard("test", event_id)
    await inbox.done(lagging)
    await _faults(dw_url, maxSessions=10)
    async with docuware_client(config) as client:
        await client.logon()
    now[0] = utcnow() + dt.timedelta(hours=2)  # no deviation for an hour: over

    await monitor.tick()
    await monitor.tick()
    resolved = {(event, "resolved"): 1 for event in EVENTS}
    assert _told(receiver) == Counter({("config_changed", "notice"): 1, **opened, **resolved})
    assert len(sink.messages) == 1 + 2 * len(EVENTS)
    assert await monitor.store.open_incidents() == []

    # E-mail: STARTTLS and AUTH every time, to both recipients; the webhook signed.
    assert sink.tls_sessions == len(sink.messages)
    assert sink.logins == ["alerts"] * len(sink.messages)
    assert all(r == ["ops@example.org", "oncall@example.org"] for r in sink.recipients)
    assert receiver.bad_signatures == 0
    subjects = [subject for subject, _ in _mails(sink)]
    assert "[portal-gateway test] Sync run failed" in subjects
    assert "[portal-gateway test] Resolved: Sync run failed" in subjects
    bodies = {b["event"]: b for b in receiver.bodies if b["phase"] == "opened"}
    assert bodies["run_failed"]["details"] == {"run": failed, "errors": 0}
    assert bodies["casavi_contract"]["subject"] == "GET /v2/tickets/{id}"
    assert "Run " + str(failed) + " failed" in bodies["run_failed"]["text"]

    # Nothing secret, nothing personal (the sandbox's persons included) in any message.
    everything = "\n".join(sink.messages) + "\n".join(b.decode() for b in receiver.raw)
    secrets = [SMTP_PASSWORD, WEBHOOK_SECRET, CASAVI_KEY, CASAVI_SECRET, SANDBOX_PASSWORD]
    secrets += [SECRET_KEY, ixhaus_url]
    for text in secrets + list(PERSON) + await _sandbox_people(ixhaus_url):
        assert text not in everything, text


def _url(sessions: async_sessionmaker[AsyncSession]) -> str:
    bind = sessions.kw["bind"]
    return str(bind.url)


async def _admin_key(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        _, key = await ApiKeyRepository(session).create("alerts-admin", "admin")
        await session.commit()
    return key


async def _finished_run(runs: SqlRuns, status: str, error: str | None) -> int:
    run, _ = await runs.request("test", trigger="test", requested_by="test")
    claim = await runs.claim(run.id, stale_before=utcnow())
    assert claim is not None
    await runs.finish(run.id, status, RunCounts(), error, attempt=claim.attempt)  # type: ignore[arg-type]
    return run.id


async def _received_minutes_ago(
    sessions: async_sessionmaker[AsyncSession], event_id: int, minutes: int
) -> None:
    async with sessions() as session:
        await session.execute(
            update(InboxEvent)
            .where(InboxEvent.id == event_id)
            .values(received_at=utcnow() - dt.timedelta(minutes=minutes))
        )
        await session.commit()


async def _sandbox_people(url: str) -> list[str]:
    """Names and e-mail addresses of the sandbox's persons (a sample is plenty)."""
    from app.adapters.factories import ixhaus_engine
    from app.adapters.ixhaus.schema import IxhausTables

    persons = IxhausTables().persons
    engine = ixhaus_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(select(persons.c.last_name, persons.c.email).limit(200))
            ).all()
    finally:
        await engine.dispose()
    found = {value for row in rows for value in row if value and len(value) > 3}
    assert len(found) > 50
    return sorted(found)
