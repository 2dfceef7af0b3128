"""Configuration of one DocuWare client (one DocuWare organisation of one system)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from app.adapters.http.settings import HttpClientConfig

# KBA-36909: ``count`` above 10,000 per request is refused with 422; page below it.
MAX_PAGE_SIZE = 10_000
# DocuWare's own client id for the password and trusted grants (not a registered application).
DEFAULT_CLIENT_ID = "docuware.platform.net.client"
# DocuWare's "custom" search dialog: every user may use it over the API, every field is on it.
CUSTOM_DIALOG_ID = "00000000-0000-0000-0000-000000000000"

# ``client_credentials``: a registered application (App Registration; DocuWare requires one
# for new API integrations from April 2026) logs on with its own client id and secret.
Grant = Literal["password", "trusted", "client_credentials"]


@dataclass(frozen=True, slots=True)
class IndexFieldNames:
    """DB names of the index fields rule C9 relies on when no filter is configured.

    iX-Haus writes them with its Verschlagwortung; the names are customer-specific, these
    defaults are the sandbox's."""

    recipient_type: str = "EMPFAENGERTYP"  # "P" person, "K" creditor
    object_number: str = "OBJEKTNUMMER"
    recipient_header_id: str = "EMPFAENGER_KOPF_ID"
    document_type: str = "DOKUMENTTYP"
    name: str = "DOKUMENTNAME"
    created: str = "DWSTOREDATETIME"


@dataclass(frozen=True, slots=True, kw_only=True)
class DocuwareClientConfig(HttpClientConfig):
    """``password`` and ``client_secret`` are excluded from ``repr``: never in a log.

    ``grant="trusted"`` logs on as the trusted application user ``username`` and acts as
    ``impersonate_name`` (on-premises only, per DocuWare). ``grant="client_credentials"``
    logs on as the registered application ``client_id`` with ``client_secret`` (no user).
    ``organization_id`` is sent as ``OrgId`` when listing file cabinets - needed only on
    premises with more than one organisation. ``base_url`` is https://<server>, without
    /DocuWare/Platform; the engine's settings are ``HttpClientConfig``'s, with DocuWare's
    defaults below."""

    username: str = ""
    password: str = field(default="", repr=False)
    grant: Grant = "password"
    impersonate_name: str | None = None
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = field(default="", repr=False)
    organization_id: str | None = None
    scope: str = "docuware.platform"
    # Throttled requests are answered with 429 only after about 10 s (KBA-36385): the read
    # timeout (30 s) waits for that, the deadline leaves room for a few of them.
    deadline_seconds: float = 120.0
    max_concurrency: int = 4
    page_size: int = 1000
    dialog_id: str = CUSTOM_DIALOG_ID
    fields: IndexFieldNames = field(default_factory=IndexFieldNames)
    # Renew this long before the token's end (tokens live 60 minutes).
    token_refresh_margin_seconds: float = 120.0
    download_chunk_bytes: int = 64 * 1024
    # Told after each logon whether a licence was free (False: "no free licence"); the
    # composition root reports it to the alerts (app/alerts/events.py).
    on_logon: Callable[[bool], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if self.grant == "trusted" and not self.impersonate_name:
            raise ValueError("the trusted-user grant needs impersonate_name")
        if self.grant == "client_credentials" and (
            not self.client_secret or self.client_id == DEFAULT_CLIENT_ID
        ):
            raise ValueError(
                "the client_credentials grant needs the registered client id and secret"
            )
        if self.grant != "client_credentials" and not (self.username and self.password):
            raise ValueError(f"the {self.grant} grant needs username and password")

    def logon_form(self) -> dict[str, str]:
        """The token request's form for this grant (secrets in it: never log it)."""
        form = {"grant_type": self.grant, "scope": self.scope, "client_id": self.client_id}
        if self.grant == "client_credentials":
            form["client_secret"] = self.client_secret
            return form
        form.update(username=self.username, password=self.password)
        if self.grant == "trusted" and self.impersonate_name:
            form["impersonateName"] = self.impersonate_name
        return form
