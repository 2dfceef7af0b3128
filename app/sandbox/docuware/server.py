"""Serving the DocuWare simulator: ``run_simulator`` for the CLI; tests use ``ServerThread``."""

from __future__ import annotations

from typing import Any

import uvicorn

from app.sandbox.docuware.app import create_docuware_simulator


def run_simulator(host: str, port: int, **options: Any) -> None:
    """Serve the simulator until interrupted (``portal-gateway sandbox docuware --port N``)."""
    app = create_docuware_simulator(**options)
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none", lifespan="on")
