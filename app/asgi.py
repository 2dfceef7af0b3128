"""HTTP composition root: ``create_app(settings)`` builds every client once and wires routes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import __version__
from app.adapters.store.database import create_engine, create_session_factory
from app.alerts.monitor import alert_loop
from app.api.alerts import AlertController
from app.api.api_keys import ApiKeyController
from app.api.auth import (
    SECURITY,
    SECURITY_COMPONENTS,
    KeyCache,
    require_api_key,
)
from app.api.auth_failures import AuthFailures
from app.api.callbacks import CallbackSecrets, casavi_callback
from app.api.conflicts import ConflictController
from app.api.deps import provide_services, provide_session
from app.api.docuware_callbacks import docuware_webhook
from app.api.hardening import hostile_input_guard
from app.api.health import live, ready
from app.api.inbound_events import InboundEventController
from app.api.metrics import Metrics, metrics_endpoint
from app.api.portal_status import PortalStatusController
from app.api.problems import EXCEPTION_HANDLERS
from app.api.proxies import TrustedProxies, parse_trusted_proxies, trusted_proxy_headers
from app.api.records import RecordController
from app.api.reference import OfflineSwaggerPlugin, reference_routes
from app.api.schema_alignment import align_openapi
from app.api.sync_runs import SyncRunController
from app.api.system_config import SystemConfigController
from app.api.tickets import TicketTriggerController
from app.composition import build_services
from app.configuration.secrets import SecretBox
from app.console import build_console
from app.environment import Settings, get_settings, run_policy
from app.sync.jobs import JOB_FUNCTIONS, start_periodic
from app.sync.ports import JobQueue
from app.sync.queue import ArqQueue, InProcessQueue, arq_redis
from app.sync.services import Services

# The gateway's JSON API takes small bodies; document uploads get their own limit later.
MAX_BODY_BYTES = 1_000_000

if TYPE_CHECKING:
    from app.adapters.factories import TransportFactory

# What builds a process's services over its own state's sessions, secret box and job queue
# (``app.composition.build_services`` unless the caller composes them otherwise).
ServicesFactory = Callable[[async_sessionmaker[AsyncSession], SecretBox, JobQueue], Services]


def create_app(
    settings: Settings | None = None,
    *,
    scheduler: bool = False,
    compose: ServicesFactory | None = None,
    transport: TransportFactory | None = None,
) -> Litestar:
    """The HTTP app. ``scheduler=True`` also runs the C14 schedule in this process (embedded
    mode, no Redis); with Redis the worker's cron does that instead. ``compose`` builds the
    services the routes and jobs use (default: ``build_services`` with the settings' run
    policy, the systems' HTTP clients over ``transport``: default the network)."""
    settings = settings or get_settings()
    compose = compose or partial(build_services, policy=run_policy(settings), transport=transport)
    engine = create_engine(
        settings.database_url,
        connect_timeout=settings.database_connect_timeout_seconds,
        command_timeout=settings.database_command_timeout_seconds,
        pool_size=settings.database_pool_size,
    )
    session_factory = create_session_factory(engine)
    secret_box = SecretBox(settings.secret_key)
    job_ctx: dict[str, Any] = {"settings": settings}
    job_queue: JobQueue
    if settings.redis_url is not None:
        job_queue = ArqQueue(
            arq_redis(settings.redis_url, settings.arq_queue_name), settings.arq_queue_name
        )
    else:
        job_queue = InProcessQueue(JOB_FUNCTIONS, job_ctx)
    services = compose(session_factory, secret_box, job_queue)
    job_ctx["services"] = services
    services.inbound_lease_seconds = settings.inbound_lease_seconds
    metrics = Metrics()

    background: list[asyncio.Task[None]] = []

    async def start_scheduler(_: Litestar) -> None:
        # Alerts: the one process of the embedded mode runs them; with Redis the workers
        # do, and this process only writes what its code paths report (events.py).
        if services.alerts is not None:
            background.append(asyncio.create_task(alert_loop(services.alerts, full=scheduler)))
        if scheduler:
            # Embedded mode: the periodic jobs (the C14 schedule, the inbound poll, the inbox
            # sweeper) run here, from the same table as the worker's cron jobs.
            background.extend(start_periodic(services, settings))

    async def freeze_startup_objects(_: Litestar) -> None:
        # Everything built so far lives as long as the process: move it out of the garbage
        # collector's generations so full collections stay short (they were the p99).
        gc.collect()
        gc.freeze()

    async def close_clients(_: Litestar) -> None:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await job_queue.close()
        await console.close()
        await services.aclose()
        await engine.dispose()

    api_v1 = Router(
        "/api/v1",
        route_handlers=[
            SyncRunController,
            PortalStatusController,
            TicketTriggerController,
            RecordController,
            ApiKeyController,
            SystemConfigController,
            InboundEventController,
            ConflictController,
            AlertController,
        ],
        guards=[require_api_key],
        security=SECURITY,
        dependencies={
            "db_session": Provide(provide_session),
            "services": Provide(provide_services, sync_to_thread=False),
        },
    )
    # Callers that sign their requests instead of sending an API key (casavi's callbacks,
    # DocuWare's webhook).
    callbacks_v1 = Router(
        "/api/v1",
        route_handlers=[casavi_callback, docuware_webhook],
        dependencies={
            "db_session": Provide(provide_session),
            "services": Provide(provide_services, sync_to_thread=False),
        },
    )
    console_routes, console = build_console(settings, engine, scheduler_here=scheduler)
    app = Litestar(
        route_handlers=[
            live,
            ready,
            metrics_endpoint,
            api_v1,
            callbacks_v1,
            *console_routes,
            *reference_routes(),
        ],
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "session_factory": session_factory,
                "job_queue": job_queue,
                # The loops this process runs beside its requests (alerts, periodic jobs).
                "background": background,
                "services": services,
                "metrics": metrics,
                "secret_box": secret_box,
                "auth_failures": AuthFailures(settings.auth_failures_per_minute),
                "api_key_cache": KeyCache(),
                "console": console,
                "callback_secrets": CallbackSecrets(services.configs),
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            trusted_proxy_headers(TrustedProxies(parse_trusted_proxies(settings.trusted_proxies))),
            metrics.middleware,
            hostile_input_guard,
        ],
        on_startup=[start_scheduler, freeze_startup_objects],
        on_shutdown=[close_clients],
        request_max_body_size=MAX_BODY_BYTES,
        # Logging is the process's business (the CLI sets it up); the app must not replace
        # the root handlers, nor log request bodies that may carry secrets or personal data.
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title="iX-Haus ⇄ casavi service-portal gateway",
            version=__version__,
            path="/schema",
            components=SECURITY_COMPONENTS,
            # The API reference is served from the gateway's own files (no CDN).
            render_plugins=[OfflineSwaggerPlugin(), JsonRenderPlugin(), YamlRenderPlugin()],
        ),
    )
    align_openapi(app)
    return app
