"""The process environment, typed (``Settings``: DATABASE_URL, REDIS_URL, timeouts...),
loaded once; invalid values fail fast. Not a system's settings: those are the settings
document of ``app.configuration`` (per system, in the database, behind the ``Configs`` port).

Defaults give the embedded setup: a SQLite file for the gateway's state and no Redis,
so jobs run in-process and ``portal-gateway serve`` needs no servers at all.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import msgspec

from app.api.proxies import parse_trusted_proxies

if TYPE_CHECKING:
    from app.sync.policy import RunPolicy

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./portal-gateway.db"

# Plain driver-less schemes are mapped onto the async drivers we ship.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "oracle": "oracle+oracledb",
}
_SUPPORTED_PREFIXES = ("sqlite+aiosqlite", "postgresql+asyncpg", "oracle+oracledb")


class SettingsError(ValueError):
    """An environment variable holds a value the gateway cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    log_level: LogLevel = "INFO"
    # Key(s) for secrets at rest: urlsafe base64 of 32 bytes, comma-separated for rotation.
    secret_key: str | None = msgspec.field(default=None)
    arq_queue_name: str = "portal-gateway:queue"
    # Upper bound for a readiness probe's dependency check.
    ready_timeout_seconds: float = 2.0
    # Runs (app.sync.policy.RunPolicy): sends in flight per stage, heartbeat, takeover of a
    # silent run, and how long one job works on a run before a fresh job continues it.
    sync_concurrency: int = 8
    run_heartbeat_seconds: float = 10.0
    run_stale_seconds: float = 60.0
    run_time_limit_seconds: float = 540.0
    # Upper bound for connecting to the gateway's own database (and for waiting for a free
    # pooled connection; the busy timeout on SQLite): an outage fails fast with a 503.
    database_connect_timeout_seconds: float = 5.0
    # Upper bound for one statement on PostgreSQL (the pool's liveness ping has its own).
    database_command_timeout_seconds: float = 30.0
    # Connections each API process keeps open to the gateway's own database (PostgreSQL,
    # Oracle), about one per request in flight; up to 10 more are opened under load.
    database_pool_size: int = 20
    # Failed authentications per client address, and per presented key prefix, and minute
    # before 429 (per API process); a valid key is never refused for them.
    auth_failures_per_minute: int = 10
    # Reverse proxies whose X-Forwarded-For (and -Proto) the gateway believes: comma-separated
    # IP addresses or networks (CIDR). Empty: the client is the connection's peer.
    trusted_proxies: str = ""
    # Admin console (app/console): a session ends after this many idle minutes.
    console_idle_minutes: int = 30
    # "auto": the session cookie is Secure when the request came over https; "always": also
    # behind a TLS-terminating proxy that forwards plain http.
    console_secure_cookie: Literal["auto", "always"] = "auto"
    # Inbound (casavi -> iX-Haus): how often the sweeper re-enqueues unprocessed inbox rows,
    # how long a job holds one ticket's lease (renewed per event; a killed job's lease
    # expires), how often the poll checks which systems are due, and arq's queue poll delay.
    inbound_sweep_seconds: int = 60
    inbound_lease_seconds: float = 30.0
    inbound_poll_tick_seconds: int = 5
    arq_poll_delay: float = 0.5
    # The worker's own /metrics (app/monitoring/worker_metrics.py): off unless a port is set.
    worker_metrics_port: int | None = None
    worker_metrics_host: str = "127.0.0.1"

    def __repr__(self) -> str:
        # Never print the secret key, nor credentials inside the URLs.
        shown = {
            "database_url": _without_password(self.database_url),
            "redis_url": _without_password(self.redis_url) if self.redis_url else None,
            "secret_key": "<set>" if self.secret_key else None,
            "log_level": self.log_level,
            "arq_queue_name": self.arq_queue_name,
            "console_idle_minutes": self.console_idle_minutes,
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def embedded(self) -> bool:
        """True when the gateway runs on its embedded default (SQLite state)."""
        return self.database_url.startswith("sqlite")


_ENV_NAMES: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "log_level": "LOG_LEVEL",
    "secret_key": "GATEWAY_SECRET_KEY",
    "arq_queue_name": "ARQ_QUEUE_NAME",
    "ready_timeout_seconds": "READY_TIMEOUT_SECONDS",
    "sync_concurrency": "SYNC_CONCURRENCY",
    "run_heartbeat_seconds": "RUN_HEARTBEAT_SECONDS",
    "run_stale_seconds": "RUN_STALE_SECONDS",
    "run_time_limit_seconds": "RUN_TIME_LIMIT_SECONDS",
    "database_connect_timeout_seconds": "DATABASE_CONNECT_TIMEOUT_SECONDS",
    "database_command_timeout_seconds": "DATABASE_COMMAND_TIMEOUT_SECONDS",
    "database_pool_size": "DATABASE_POOL_SIZE",
    "auth_failures_per_minute": "AUTH_FAILURES_PER_MINUTE",
    "trusted_proxies": "TRUSTED_PROXIES",
    "console_idle_minutes": "CONSOLE_IDLE_MINUTES",
    "console_secure_cookie": "CONSOLE_SECURE_COOKIE",
    "inbound_sweep_seconds": "INBOUND_SWEEP_SECONDS",
    "inbound_lease_seconds": "INBOUND_LEASE_SECONDS",
    "inbound_poll_tick_seconds": "INBOUND_POLL_TICK_SECONDS",
    "arq_poll_delay": "ARQ_POLL_DELAY",
    "worker_metrics_port": "WORKER_METRICS_PORT",
    "worker_metrics_host": "WORKER_METRICS_HOST",
}


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def normalise_database_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise SettingsError(f"DATABASE_URL must look like 'scheme://...', got scheme {scheme!r}")
    scheme = _ASYNC_DRIVERS.get(scheme, scheme)
    if not scheme.startswith(_SUPPORTED_PREFIXES):
        raise SettingsError(
            "DATABASE_URL scheme must be one of sqlite, postgresql or oracle "
            f"(with drivers {', '.join(_SUPPORTED_PREFIXES)}), got {scheme!r}"
        )
    return f"{scheme}://{rest}"


def _validate_redis_url(url: str) -> str:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("REDIS_URL must start with redis://, rediss:// or unix://")
    return url


def _positive(*fields: str) -> list[tuple[Callable[[Settings], bool], str]]:
    def above_zero(field: str) -> Callable[[Settings], bool]:
        return lambda settings: bool(getattr(settings, field) > 0)

    return [(above_zero(field), f"{_ENV_NAMES[field]} must be greater than 0") for field in fields]


def _divides_a_minute(seconds: int) -> bool:
    return 1 <= seconds <= 60 and 60 % seconds == 0


# What msgspec's types do not say: each rule and the message that names its variable.
_RULES: list[tuple[Callable[[Settings], bool], str]] = [
    *_positive(
        "ready_timeout_seconds",
        "database_connect_timeout_seconds",
        "database_command_timeout_seconds",
        "auth_failures_per_minute",
    ),
    (
        lambda s: 1 <= s.console_idle_minutes <= 24 * 60,
        "CONSOLE_IDLE_MINUTES must be between 1 and 1440",
    ),
    (
        lambda s: _divides_a_minute(s.inbound_sweep_seconds),
        "INBOUND_SWEEP_SECONDS must divide 60 (1 to 60)",
    ),
    (
        lambda s: _divides_a_minute(s.inbound_poll_tick_seconds),
        "INBOUND_POLL_TICK_SECONDS must divide 60 (1 to 60)",
    ),
    (
        lambda s: s.inbound_lease_seconds > 0 and s.arq_poll_delay > 0,
        "INBOUND_LEASE_SECONDS and ARQ_POLL_DELAY must be greater than 0",
    ),
    (
        lambda s: 1 <= s.database_pool_size <= 200,
        "DATABASE_POOL_SIZE must be between 1 and 200",
    ),
    (
        lambda s: s.worker_metrics_port is None or 1 <= s.worker_metrics_port <= 65535,
        "WORKER_METRICS_PORT must be between 1 and 65535",
    ),
    (lambda s: 1 <= s.sync_concurrency <= 64, "SYNC_CONCURRENCY must be between 1 and 64"),
    *_positive("run_heartbeat_seconds", "run_stale_seconds", "run_time_limit_seconds"),
    (
        lambda s: s.run_stale_seconds > s.run_heartbeat_seconds,
        "RUN_STALE_SECONDS must be longer than RUN_HEARTBEAT_SECONDS",
    ),
]

# Variables whose text is normalised before conversion.
_NORMALISE: dict[str, Callable[[str], str]] = {
    "database_url": lambda url: normalise_database_url(url),
    "redis_url": lambda url: _validate_redis_url(url),
    "log_level": str.upper,
}


def _from_environment(env: Mapping[str, str]) -> dict[str, object]:
    """The set variables (blank counts as unset), normalised, by field name."""
    raw: dict[str, object] = {}
    for field, name in _ENV_NAMES.items():
        value = (env.get(name) or "").strip()
        if value:
            raw[field] = _NORMALISE.get(field, str)(value)
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    raw = _from_environment(os.environ if environ is None else environ)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(str(exc))) from None
    if settings.secret_key is not None:
        from app.configuration.secrets import parse_keys

        try:
            parse_keys(settings.secret_key)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    try:
        parse_trusted_proxies(settings.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(f"TRUSTED_PROXIES: {exc}") from None
    for holds, message in _RULES:
        if not holds(settings):
            raise SettingsError(message)
    return settings


def run_policy(settings: Settings) -> RunPolicy:
    from app.sync.policy import RunPolicy

    return RunPolicy(
        concurrency=settings.sync_concurrency,
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_seconds=settings.run_stale_seconds,
        time_limit_seconds=settings.run_time_limit_seconds,
    )


def _explain(message: str) -> str:
    # msgspec says "... - at `$.log_level`"; name the environment variable instead.
    for field, name in _ENV_NAMES.items():
        message = message.replace(f"`$.{field}`", name)
    return message


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return load_settings()
