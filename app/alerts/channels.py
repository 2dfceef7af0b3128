"""Delivery: e-mail over SMTP (STARTTLS unless told otherwise) and a JSON webhook.

Each raises ``DeliveryFailed`` with a short reason (error type and status code, never a
server's text, an address or a secret) when the message did not get through.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from app.alerts.messages import Message
from app.alerts.settings import AlertEmail, AlertWebhook

SMTP_TIMEOUT_SECONDS = 20.0
WEBHOOK_TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Gateway-Signature"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"


class DeliveryFailed(Exception):
    pass


async def send_email(settings: AlertEmail, password: str | None, message: Message) -> None:
    mail = EmailMessage()
    mail["From"] = str(settings.sender)
    mail["To"] = ", ".join(settings.recipients)
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="portal-gateway")
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to an alert
    mail.set_content(message.text + "\n")
    try:
        await asyncio.to_thread(_smtp, settings, password, mail)
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"{type(exc).__name__} ({exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryFailed(type(exc).__name__) from None


def _smtp(settings: AlertEmail, password: str | None, mail: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        smtp.ehlo()
        if settings.security == "starttls":
            # Never falls back to plain text: a server without STARTTLS is an error.
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, password or "")
        smtp.send_message(mail)


def webhook_body(settings: AlertWebhook, message: Message) -> dict[str, Any]:
    text = f"{message.subject}\n{message.text}"
    if settings.format == "slack":
        return {"text": text}
    if settings.format == "teams":
        blocks: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "wrap": True}
        ]
        blocks += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.lines]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    return {"text": text, "title": message.subject, **message.facts}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


async def send_webhook(settings: AlertWebhook, secret: str | None, message: Message) -> None:
    assert settings.url is not None
    body = json.dumps(webhook_body(settings, message), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "portal-gateway"}
    if secret:
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = signature(secret, timestamp, body)
    try:
        async with httpx.AsyncClient(
            timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False
        ) as http:
            response = await http.post(settings.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(type(exc).__name__) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")
