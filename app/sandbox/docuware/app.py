"""``create_docuware_simulator``: the DocuWare simulator as an ASGI app (Litestar inside)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from app.sandbox.docuware.catalogue import sample_cabinets, sample_documents
from app.sandbox.docuware.common import SimError, error_response
from app.sandbox.docuware.control import control_handlers
from app.sandbox.docuware.identity import identity_handlers
from app.sandbox.docuware.middleware import FaultInjector
from app.sandbox.docuware.platform import platform_handlers
from app.sandbox.docuware.state import DocuwareSim, Faults, SimCabinet, SimDocument, WebhookSettings

SANDBOX_USER = "sandbox-user"
SANDBOX_PASSWORD = "sandbox-password"  # noqa: S105 - the simulator's published test credential
TRUSTED_USER = "sandbox-trusted"
TRUSTED_PASSWORD = "sandbox-trusted-password"  # noqa: S105 - published test credential
# A registered application (client_credentials grant), acting as SANDBOX_USER.
APP_CLIENT_ID = "sandbox-portal-gateway"
APP_CLIENT_SECRET = "sandbox-app-secret"  # noqa: S105 - published test credential
ORGANIZATION_ID = "7c8d1e2f-0000-4000-8000-0000000000d1"  # the sandbox's one organisation


def _sim_error(_: Request[Any, Any, Any], exc: SimError) -> Response[bytes]:
    return error_response(exc.status, exc.message)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    return error_response(exc.status_code, exc.detail)


class DocuwareSimulator(FaultInjector):
    """The ASGI app; ``.simulator`` is the live state, ``.litestar`` the app inside."""

    def __init__(self, litestar: Litestar, sim: DocuwareSim) -> None:
        super().__init__(litestar, sim)
        self.litestar = litestar
        self.simulator = sim


def create_docuware_simulator(
    *,
    documents: Sequence[SimDocument] | None = None,
    cabinets: Sequence[SimCabinet] | None = None,
    page_size: int = 100,
    token_ttl_seconds: float = 3600.0,
    faults: Faults | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> DocuwareSimulator:
    """A DocuWare simulator over ``documents`` (default: the seeded sample)."""
    docs = list(sample_documents() if documents is None else documents)
    sim = DocuwareSim(
        cabinets=list(sample_cabinets() if cabinets is None else cabinets),
        documents={d.id: d for d in docs},
        users={SANDBOX_USER: SANDBOX_PASSWORD, "hausverwaltung": SANDBOX_PASSWORD},
        trusted_users={TRUSTED_USER: TRUSTED_PASSWORD},
        apps={APP_CLIENT_ID: (APP_CLIENT_SECRET, SANDBOX_USER)},
        organization_id=ORGANIZATION_ID,
        token_ttl_seconds=token_ttl_seconds,
        page_size=page_size,
        webhook=WebhookSettings(url=webhook_url, secret=webhook_secret),
        faults=faults or Faults(),
    )
    litestar = Litestar(
        route_handlers=[*identity_handlers(), *platform_handlers(), *control_handlers()],
        state=State({"sim": sim}),
        exception_handlers={SimError: _sim_error, HTTPException: _http_error},
        openapi_config=None,
        # Logging is the process's business (the CLI sets it up), as for the gateway's app:
        # Litestar's default took over the root logger (INFO, a queue thread to stderr) in
        # every process that built a simulator, the test suite's included.
        logging_config=None,
    )
    return DocuwareSimulator(litestar, sim)
