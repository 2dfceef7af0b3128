"""The DocuWare simulator on its own: licences, deterministic content, signed webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.adapters.docuware.webhook import SIGNATURE_HEADER, verify_docuware_signature
from app.sandbox.docuware import ServerThread, create_docuware_simulator
from app.sandbox.docuware.catalogue import sample_documents
from app.sandbox.docuware.content import content_chunks, content_digest
from tests.support.contract import OpenAPIWebhookRequest
from tests.support.docuware import DwHandle, docuware_openapi, raw_token

WEBHOOK_SECRET = "org-passphrase"


async def test_logons_beyond_the_free_licences_are_refused(
    dw_raw: httpx.AsyncClient, dw_simulator: DwHandle
) -> None:
    await dw_simulator.faults(max_sessions=2)

    answers = [await raw_token(dw_raw) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 400]
    assert "licenses" in answers[2].json()["error_description"]
    stats = await dw_simulator.stats()
    assert (stats["logons"], stats["refusedLogons"], stats["liveSessions"]) == (2, 1, 2)


async def test_a_logon_soon_after_a_logoff_fails(
    dw_raw: httpx.AsyncClient, dw_simulator: DwHandle
) -> None:
    # KBA-36918: logging on again within two minutes of a log-off can fail.
    token = (await raw_token(dw_raw)).json()["access_token"]
    logoff = await dw_raw.get(
        "/DocuWare/Platform/Account/Logoff", headers={"Authorization": f"Bearer {token}"}
    )
    again = await raw_token(dw_raw)
    other_user = await raw_token(dw_raw, user="hausverwaltung")

    assert logoff.status_code == 200
    assert again.status_code == 400
    assert "licenses" in again.json()["error_description"]
    assert other_user.status_code == 200
    assert (await dw_simulator.stats())["logoffs"] == 1


async def test_tokens_are_checked_and_wrong_passwords_refused(
    dw_raw: httpx.AsyncClient,
) -> None:
    wrong = await dw_raw.post(
        "/DocuWare/Identity/connect/token",
        data={
            "grant_type": "password",
            "scope": "docuware.platform",
            "client_id": "docuware.platform.net.client",
            "username": "sandbox-user",
            "password": "wrong",
        },
    )
    unauthenticated = await dw_raw.get("/DocuWare/Platform/FileCabinets")

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert unauthenticated.status_code == 401
    assert "Message" in unauthenticated.json()


def test_content_is_generated_deterministically_without_holding_it() -> None:
    size = 200_000
    first = b"".join(content_chunks(7, size))

    assert len(first) == size
    assert first == b"".join(content_chunks(7, size))
    assert first != b"".join(content_chunks(8, size))
    assert content_digest(7, size) == content_digest(7, size)
    assert max(len(c) for c in content_chunks(7, 10 * 1024 * 1024)) == 64 * 1024


def test_the_sample_catalogue_is_seeded_and_has_large_documents() -> None:
    first, second = sample_documents(seed=3), sample_documents(seed=3)

    assert first == second
    assert max(d.size for d in first) > 100 * 1024 * 1024
    assert any(d.fields["OBJEKTNUMMER"] is None for d in sample_documents(count=60))


class Receiver:
    """A tiny ASGI app that checks ``x-docuware-signature`` like the gateway will."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.valid: list[bool] = []
        self.violations: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        ok = verify_docuware_signature(WEBHOOK_SECRET.encode(), body, headers.get(SIGNATURE_HEADER))
        self.bodies.append(body)
        self.valid.append(ok)
        request = httpx.Request("POST", "http://receiver/hook", headers=headers, content=body)
        try:
            docuware_openapi().validate_webhook_request(
                OpenAPIWebhookRequest(request, body, "docuwareDocumentEvent")
            )
        except Exception as exc:  # any violation fails the test
            self.violations.append(repr(exc))
        status = 202 if ok else 401
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver()
    thread = ServerThread(app).start()
    try:
        yield app, f"{thread.base_url}/docuware/webhook"
    finally:
        thread.stop()


async def test_the_simulator_sends_signed_notifications(
    dw_simulator: DwHandle, receiver: tuple[Receiver, str]
) -> None:
    app, url = receiver
    control = dw_simulator.control
    (
        await control.put("/_sandbox/webhook", json={"url": url, "secret": WEBHOOK_SECRET})
    ).raise_for_status()

    answer = await control.post("/_sandbox/webhook/fire", json={"documentId": 3})
    (
        await control.put("/_sandbox/webhook", json={"url": url, "secret": "not-it"})
    ).raise_for_status()
    forged = await control.post("/_sandbox/webhook/fire", json={"documentId": 3})

    assert answer.json() == {"status": 202}
    assert forged.json() == {"status": 401}
    assert app.valid == [True, False]
    assert app.violations == []
    assert b'"DWDOCID":3' in app.bodies[0]
    assert (await dw_simulator.stats())["webhooksSent"] == 2


@pytest.mark.server  # the simulator on a socket
async def test_standalone_simulator_serves_the_sample() -> None:
    thread = ServerThread(create_docuware_simulator()).start()
    try:
        async with httpx.AsyncClient(base_url=thread.base_url) as client:
            info = await client.get("/DocuWare/Platform/Home/IdentityServiceInfo")
            assert info.json()["IdentityServiceUrl"].startswith(thread.base_url)
    finally:
        await asyncio.to_thread(thread.stop)
