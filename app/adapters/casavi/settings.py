"""Configuration of one casavi client (one casavi customer account)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.adapters.casavi.routes import CasaviRoutes
from app.adapters.http.settings import HttpClientConfig
from app.domain.config import DEFAULT_MAX_DOCUMENT_BYTES

MAX_DOCUMENT_BYTES = DEFAULT_MAX_DOCUMENT_BYTES  # rule D5; the configuration may lower it


@dataclass(frozen=True, slots=True, kw_only=True)
class CasaviClientConfig(HttpClientConfig):
    """``key`` and ``secret`` are excluded from ``repr`` so they never reach a log.

    The engine's settings (timeouts, deadline, retry, concurrency, pacing, token margin) are
    ``HttpClientConfig``'s; casavi re-authenticates ``token_refresh_margin_seconds`` before
    its ``expiresAt``."""

    key: str = field(repr=False)
    secret: str = field(repr=False)
    # Uploads of up to 100 MB need longer than a normal call.
    upload_deadline_seconds: float = 900.0
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    upload_chunk_bytes: int = 256 * 1024
    # The paths casavi serves (one change when casavi names them differently).
    routes: CasaviRoutes = field(default_factory=CasaviRoutes)
    # The gateway's system this account serves ("production", "test"): labels deviations.
    system: str = ""
