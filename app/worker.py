"""The arq worker: composition root for background jobs.

Run it with ``portal-gateway worker`` (``app.resilient_worker``: rides out a Redis outage),
or ``arq app.worker.WorkerSettings`` (arq's plain worker, which ends when Redis goes away).
Clients are created once in ``on_startup``, kept in ``ctx`` and closed in ``on_shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arq.connections import RedisSettings
from arq.cron import cron
from arq.worker import func
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.store.database import create_engine, create_session_factory
from app.alerts.monitor import alert_loop
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.environment import Settings, SettingsError, get_settings, run_policy
from app.monitoring.process_metrics import observed
from app.resilient_worker import ResilientWorker
from app.sync.jobs import JOBS, PERIODIC
from app.sync.queue import ArqQueue, deserialize_job, serialize_job, wake_channel

# A run job hands its run to a fresh job at the run time limit (RUN_TIME_LIMIT_SECONDS,
# default 540 s), so arq's own timeout (which fails a job without retry and without letting
# it record anything) is only a backstop a minute later. A killed worker's run is taken over
# through its heartbeat within about a minute (the schedule tick or the next trigger), long
# before arq would re-run the job (in-progress key: this timeout plus 10 s).
JOB_TIMEOUT_MARGIN_SECONDS = 60

# The worker's connections to the gateway's database, all kept open: its jobs (arq's
# ``max_jobs``, 10), the periodic ticks and the alert monitor run at once. With SQLAlchemy's
# 5 pooled + 10 overflow, every checkout beyond five opened a connection and closed it on
# return (a PostgreSQL backend, and asyncpg's prepared statements, anew): a benchmark at
# 20 callbacks/s on a busy machine opened about 400 in 30 s. Same maximum, none reopened.
WORKER_POOL_SIZE = 15

log = logging.getLogger(__name__)


class WakingWorker(ResilientWorker):
    """The worker of ``portal-gateway worker``: it rides out a Redis outage
    (``ResilientWorker``) and is woken when a job is queued instead of finding it at its
    next poll.

    ``ArqQueue.enqueue`` announces each job on ``wake_channel(queue)``; between two polls the
    worker waits for such an announcement or ``poll_delay``, whichever comes first (arq's own
    sleep between polls is set to zero). Without the channel (Redis pub/sub down, a job
    queued by another client) it polls every ``poll_delay`` as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_wait = self.poll_delay_s
        self.poll_delay_s = 0.0
        self._wake = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def _poll_iteration(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())
        self._wake.clear()  # an announcement during this poll makes the wait below return
        await super()._poll_iteration()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._idle_wait)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.pool.pubsub() as pubsub:
                    await pubsub.subscribe(wake_channel(self.queue_name))
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: poll on, listen again in a moment
                log.warning("job announcements unavailable: %s", type(exc).__name__)
                await asyncio.sleep(max(self._idle_wait, 1.0))

    async def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    async def close(self) -> None:
        await self.stop_listening()
        await super().close()


def worker_engine(settings: Settings) -> AsyncEngine:
    """The worker's engine for the gateway's database (``WORKER_POOL_SIZE`` connections)."""
    return create_engine(
        settings.database_url,
        connect_timeout=settings.database_connect_timeout_seconds,
        command_timeout=settings.database_command_timeout_seconds,
        pool_size=WORKER_POOL_SIZE,
        max_overflow=0,
    )


def _startup(settings: Settings) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def on_startup(ctx: dict[str, Any]) -> None:
        engine = worker_engine(settings)
        ctx["settings"] = settings
        ctx["engine"] = engine
        # Jobs enqueued by jobs (the scheduler's runs) go through the worker's own Redis pool
        # (closed by arq).
        queue = ArqQueue(ctx["redis"], settings.arq_queue_name)
        ctx["services"] = build_services(
            create_session_factory(engine),
            SecretBox(settings.secret_key),
            queue,
            policy=run_policy(settings),
        )
        ctx["services"].inbound_lease_seconds = settings.inbound_lease_seconds
        # Alerts: every worker runs the monitor (each step is safe in several at once).
        alerts = ctx["services"].alerts
        if alerts is not None:
            ctx["alerts_loop"] = asyncio.create_task(alert_loop(alerts, full=True))
        if settings.worker_metrics_port is not None:  # the worker's own /metrics
            from app.monitoring.worker_metrics import start_worker_metrics

            ctx["metrics_server"] = await start_worker_metrics(
                settings.worker_metrics_host,
                settings.worker_metrics_port,
                ctx["redis"],
                settings.arq_queue_name,
            )
        settle_gc()

    return on_startup


# A run allocates millions of short-lived objects: with Python's default (a collection every
# 700 net allocations) a no-change run over the large portfolio ran ~2,100 collections.
GC_YOUNG_THRESHOLD = 20_000


def settle_gc() -> None:
    """The worker's garbage collection, set once its start-up is done.

    What is loaded by now lives as long as the worker: frozen out of the collector's way, so
    the full collections a big run triggers do not scan it every time. The youngest
    generation is collected every ``GC_YOUNG_THRESHOLD`` allocations (cyclic garbage waits
    a little longer; that is a few MB at most)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


async def _shutdown(ctx: dict[str, Any]) -> None:
    if "alerts_loop" in ctx:
        ctx["alerts_loop"].cancel()
    if "metrics_server" in ctx:
        await ctx["metrics_server"].close()
    services = ctx.get("services")
    if services is not None:
        await services.aclose()
    engine = ctx.get("engine")
    if engine is not None:
        await engine.dispose()


def schedule_job_name(settings: Settings) -> str:
    """The cron job's name, namespaced by the installation's queue.

    arq forms a cron job's id from its name and the minute (``<name>:<unix ms>``) and keeps
    job and result keys in one Redis-wide namespace, not per queue. With a bare ``schedule``
    two installations sharing a Redis would compete for one id per minute and only the first
    would tick; the queue name makes each installation's id its own.
    """
    return cron_job_name(settings, "schedule")


def cron_job_name(settings: Settings, name: str) -> str:
    """Every cron job's name carries the queue name (see ``schedule_job_name``)."""
    return f"{settings.arq_queue_name}:{name}"


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker`` built from the gateway's settings."""
    if settings.redis_url is None:
        raise SettingsError("REDIS_URL must be set to run a worker (jobs go through arq/Redis)")
    return {
        # Every job of the table (app.sync.jobs): the queued ones by name, the periodic
        # ones as cron jobs (rule C14's schedule every minute; the inbound poll and the
        # inbox sweeper every few seconds).
        "functions": [
            func(observed(job.name, job.function), name=job.name)  # type: ignore[arg-type]
            for job in JOBS
            if job.every is None
        ],
        "cron_jobs": [
            cron(
                observed(job.name, job.function),  # type: ignore[arg-type]
                name=cron_job_name(settings, job.name),
                second=set(range(0, 60, job.period(settings))),
                run_at_startup=job.at_startup,
            )
            for job in PERIODIC
        ],
        # How often an idle worker looks for new jobs (latency of callback -> iX-Haus).
        "poll_delay": settings.arq_poll_delay,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.arq_queue_name,
        "on_startup": _startup(settings),
        "on_shutdown": _shutdown,
        "job_serializer": serialize_job,
        "job_deserializer": deserialize_job,
        "job_timeout": int(settings.run_time_limit_seconds) + JOB_TIMEOUT_MARGIN_SECONDS,
        # arq's default of 3600 s makes `arq --check` useless; 15 s keeps it meaningful.
        "health_check_interval": 15,
        # Results hold only ids and a status word; keep them an hour for inspection.
        "keep_result": 3600,
        "max_tries": 5,
    }


def __getattr__(name: str) -> Any:
    # `arq app.worker.WorkerSettings`: built lazily so importing this module never reads
    # the environment.
    if name == "WorkerSettings":
        return type("WorkerSettings", (), worker_settings(get_settings()))
    raise AttributeError(name)
