"""Alert settings of one system (part of its configuration document, ``alerts``).

The SMTP password and the webhook's signing secret are write-only secrets like the others
(``alertSmtpPassword``, ``alertWebhookSecret``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Email = Annotated[
    str,
    Meta(
        pattern=r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$",
        max_length=254,
        extra={"expected": "an e-mail address"},
    ),
]
Host = Annotated[
    str, Meta(pattern=r"^[A-Za-z0-9.:\[\]-]{1,253}$", extra={"expected": "a host name"})
]


class Struct(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class AlertEmail(Struct, kw_only=True):
    """E-mail over SMTP: STARTTLS on the submission port by default (the server's
    certificate is verified against the system's trust store; ``SSL_CERT_FILE`` adds a
    private CA). ``security: none`` only for a relay on the same host."""

    recipients: list[Email] = msgspec.field(default_factory=list)
    sender: Email | None = None
    smtp_host: Host | None = None
    smtp_port: Annotated[int, Meta(ge=1, le=65535)] = 587
    smtp_username: Annotated[str, Meta(min_length=1, max_length=254)] | None = None
    security: Literal["starttls", "none"] = "starttls"


class AlertWebhook(Struct, kw_only=True):
    """A JSON POST per alert. ``generic``: the alert's fields plus ``text``; ``slack``: only
    ``text`` (Slack incoming webhooks); ``teams``: an Adaptive Card message (Teams
    workflows' "When a Teams webhook request is received"). With the secret
    ``alertWebhookSecret`` set, ``X-Gateway-Signature: sha256=<hex>`` is the HMAC-SHA256 of
    ``<X-Gateway-Timestamp>.<body>``."""

    url: (
        Annotated[
            str,
            Meta(
                pattern=r"^https?://\S+$",
                max_length=2000,
                extra={"expected": "an absolute http(s) address"},
            ),
        ]
        | None
    ) = None
    format: Literal["generic", "slack", "teams"] = "generic"


class AlertSettings(Struct, kw_only=True):
    """Who is told, in which language, and when (each incident once, then "resolved")."""

    language: Literal["de", "en"] = "de"
    email: AlertEmail = msgspec.field(default_factory=AlertEmail)
    webhook: AlertWebhook = msgspec.field(default_factory=AlertWebhook)
    # Parked inbound events: the first one is an incident, this many another.
    parked_threshold: Annotated[int, Meta(ge=1, le=1_000_000)] = 20
    # The oldest unprocessed inbound event older than this is an incident.
    lag_threshold_minutes: Annotated[int, Meta(ge=1, le=10_080)] = 15
    # At most this many messages per channel and hour; the rest wait for the next hour.
    max_per_hour: Annotated[int, Meta(ge=1, le=1000)] = 20

    @property
    def email_on(self) -> bool:
        return bool(self.email.recipients and self.email.smtp_host and self.email.sender)

    @property
    def webhook_on(self) -> bool:
        return self.webhook.url is not None


def alert_problems(alerts: AlertSettings) -> list[tuple[str, str]]:
    """(field, message) for what is incomplete: recipients need a server and a sender."""
    problems = []
    if alerts.email.recipients:
        if alerts.email.smtp_host is None:
            problems.append(("alerts.email.smtpHost", "needed to send to the recipients"))
        if alerts.email.sender is None:
            problems.append(("alerts.email.sender", "needed to send to the recipients"))
    if len(set(alerts.email.recipients)) != len(alerts.email.recipients):
        problems.append(("alerts.email.recipients", "lists an address twice"))
    return problems
