"""What every HTTP client's configuration has: where the system is and how the engine treats
it (timeouts, deadline, retries, concurrency, pacing, token renewal). A system's configuration
subclasses it, adds its credentials and wire settings and may state other defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.adapters.http.retry import RetryPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpClientConfig:
    base_url: str
    # Per-phase httpx timeouts (connect/read/write/pool); ``read`` is per chunk, so every
    # call also runs under ``deadline_seconds`` for the whole call, retries included.
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 10.0
    deadline_seconds: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_concurrency: int = 8
    # Requests started per second at most (None: no pacing).
    requests_per_second: float | None = None
    # Renew the token this long before the system says it ends.
    token_refresh_margin_seconds: float = 300.0
