"""Serving the simulator: ``run_simulator`` for the CLI, ``SimulatorThread`` for tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from app.sandbox.casavi.app import create_casavi_simulator


def run_simulator(host: str, port: int, state_path: Path, **options: Any) -> None:
    """Serve the simulator until interrupted (``portal-gateway sandbox casavi --port N``)."""
    app = create_casavi_simulator(Path(state_path), **options)
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none", lifespan="on")


class ServerThread:
    """Any ASGI app served by uvicorn on 127.0.0.1 in a background thread.

    ``port=0`` picks a free port; ``base_url`` is known once ``start()`` returns.
    """

    def __init__(self, app: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", ws="none", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self.host = host

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def wait(self) -> None:
        """Until the server stops (Ctrl-C in the caller's thread)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
