"""Configuration of one casavi client (one casavi customer account)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.adapters.casavi.retry import RetryPolicy
from app.adapters.casavi.routes import CasaviRoutes
from app.domain.config import DEFAULT_MAX_DOCUMENT_BYTES

MAX_DOCUMENT_BYTES = DEFAULT_MAX_DOCUMENT_BYTES  # rule D5; the configuration may lower it


@dataclass(frozen=True, slots=True)
class CasaviClientConfig:
    """``key`` and ``secret`` are excluded from ``repr`` so they never reach a log."""

    base_url: str
    key: str = field(repr=False)
    secret: str = field(repr=False)
    # Per-phase httpx timeouts (connect/read/write/pool); ``read`` is per chunk, so every
    # call also runs under ``deadline_seconds`` for the whole call, retries included.
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    deadline_seconds: float = 60.0
    # Uploads of up to 100 MB need longer than a normal call.
    upload_deadline_seconds: float = 900.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_concurrency: int = 8
    requests_per_second: float | None = None
    # Re-authenticate this long before casavi's ``expiresAt``.
    token_refresh_margin_seconds: float = 300.0
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    upload_chunk_bytes: int = 256 * 1024
    # The paths casavi serves (one change when casavi names them differently).
    routes: CasaviRoutes = field(default_factory=CasaviRoutes)
    # The gateway's system this account serves ("production", "test"): labels deviations.
    system: str = ""
