"""``create_casavi_simulator``: the casavi simulator as an ASGI app (Litestar inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from app.sandbox.casavi.common import SimError, error_response, record_unknown_query
from app.sandbox.casavi.controls import control_handlers
from app.sandbox.casavi.dispatcher import CallbackDispatcher
from app.sandbox.casavi.documents import document_handlers
from app.sandbox.casavi.master_data import master_data_handlers
from app.sandbox.casavi.middleware import FaultInjector
from app.sandbox.casavi.state import CallbackSettings, Simulator, Variant
from app.sandbox.casavi.store import SimStore
from app.sandbox.casavi.tenant import sandbox_handlers
from app.sandbox.casavi.tickets import ticket_handlers
from app.sandbox.casavi.variants import VariantLayer
from app.sandbox.credentials import SANDBOX_KEY, SANDBOX_SECRET


def _sim_error(_: Request[Any, Any, Any], exc: SimError) -> Response[bytes]:
    return error_response(exc.status, exc.message)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    return error_response(exc.status_code, exc.detail)


class CasaviSimulator(FaultInjector):
    """The ASGI app; ``.simulator`` is the live state, ``.litestar`` the app inside."""

    def __init__(self, litestar: Litestar, sim: Simulator) -> None:
        super().__init__(VariantLayer(litestar, sim), sim)
        self.litestar = litestar
        self.simulator = sim


def create_casavi_simulator(
    state_path: Path,
    *,
    key: str = SANDBOX_KEY,
    secret: str = SANDBOX_SECRET,
    callback_url: str | None = None,
    callback_secret: str | None = None,
    token_ttl_seconds: float = 30 * 24 * 3600,
    default_page_size: int = 50,
    max_upload_bytes: int = 100 * 1024 * 1024,
    invite_contacts: bool = False,
    variant: Variant | None = None,
) -> CasaviSimulator:
    """A casavi simulator keeping its state in the SQLite file ``state_path``."""
    store = SimStore(Path(state_path))
    sim = Simulator(
        store=store,
        key=key,
        secret=secret,
        token_ttl_seconds=token_ttl_seconds,
        default_page_size=default_page_size,
        max_upload_bytes=max_upload_bytes,
        callbacks=CallbackSettings(url=callback_url, secret=callback_secret),
        invite_contacts=invite_contacts,
        variant=variant or Variant(),
    )
    dispatcher = CallbackDispatcher(sim)

    async def start() -> None:
        dispatcher.start()

    async def stop() -> None:
        await dispatcher.stop()

    litestar = Litestar(
        route_handlers=[
            *master_data_handlers(),
            *ticket_handlers(),
            *document_handlers(),
            *sandbox_handlers(),
            *control_handlers(),
        ],
        state=State({"sim": sim, "dispatcher": dispatcher}),
        exception_handlers={SimError: _sim_error, HTTPException: _http_error},
        before_request=record_unknown_query,
        on_startup=[start],
        on_shutdown=[stop],
        openapi_config=None,
        # Logging is the process's business (the CLI sets it up), as for the gateway's app:
        # Litestar's default took over the root logger (INFO, a queue thread to stderr) in
        # every process that built a simulator, the test suite's included.
        logging_config=None,
    )
    return CasaviSimulator(litestar, sim)
