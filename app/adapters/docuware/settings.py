"""Configuration of one DocuWare client (one DocuWare organisation of one system)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from app.adapters.docuware.retry import RetryPolicy

# KBA-36909: ``count`` above 10,000 per request is refused with 422; page below it.
MAX_PAGE_SIZE = 10_000
# DocuWare's "custom" search dialog: every user may use it over the API, every field is on it.
CUSTOM_DIALOG_ID = "00000000-0000-0000-0000-000000000000"

Grant = Literal["password", "trusted"]


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


@dataclass(frozen=True, slots=True)
class DocuwareClientConfig:
    """``password`` is excluded from ``repr`` so it never reaches a log.

    ``grant="trusted"`` logs on as the trusted application user ``username`` and acts as
    ``impersonate_name`` (on-premises only, per DocuWare)."""

    base_url: str  # https://<server>, without /DocuWare/Platform
    username: str
    password: str = field(repr=False)
    grant: Grant = "password"
    impersonate_name: str | None = None
    client_id: str = "docuware.platform.net.client"
    scope: str = "docuware.platform"
    connect_timeout: float = 5.0
    # Throttled requests are answered with 429 only after about 10 s (KBA-36385).
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    deadline_seconds: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
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
