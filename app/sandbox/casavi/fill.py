"""A casavi simulator that starts filled: a seeded iX-Haus portfolio exported into it by the
gateway's own run, with a throwaway gateway state (a temporary SQLite file).

``portal-gateway sandbox casavi --fill-from sqlite:///ixhaus.db`` - no configuration and no
sync of your own first. What casavi then holds is exactly what a first run would send (the
same rules, the same mapping). A gateway pointed at it later adopts those records (a create
casavi already has becomes an update), it never duplicates them.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from app.adapters.store import migrate
from app.adapters.store.configs import SqlConfigs
from app.adapters.store.database import create_engine, create_session_factory
from app.composition import build_services
from app.configuration.secrets import SecretBox, new_key
from app.environment import normalise_database_url
from app.sandbox.config import sandbox_config_patch
from app.sandbox.credentials import SANDBOX_KEY, SANDBOX_SECRET
from app.sync.ports import SyncRunInfo
from app.sync.queue import NoQueue
from app.sync.runs import execute_run


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def fill_simulator(
    casavi_url: str,
    ixhaus_url: str,
    *,
    profile: str = "small",
    documents: Path | None = None,
) -> SyncRunInfo:
    """Export the portfolio at ``ixhaus_url`` (seeded with ``profile``) into the casavi
    simulator at ``casavi_url``; documents too when ``documents`` holds their files."""
    ixhaus = normalise_database_url(ixhaus_url)
    with tempfile.TemporaryDirectory(prefix="casavi-fill-") as folder:
        state = f"sqlite+aiosqlite:///{Path(folder) / 'gateway.db'}"
        await asyncio.to_thread(migrate.upgrade, state)
        engine = create_engine(state)
        box = SecretBox(new_key())
        patch: dict[str, Any] = {
            **sandbox_config_patch(profile),
            "active": True,
            "casavi": {"baseUrl": casavi_url},
            "secrets": {
                "ixhausDatabaseUrl": _twice(ixhaus),
                "casaviApiKey": _twice(SANDBOX_KEY),
                "casaviSecret": _twice(SANDBOX_SECRET),
            },
        }
        if documents is not None:
            patch["ixhaus"] = {"documentRoot": str(documents)}
        else:
            patch["documentTypes"] = {"withTimeFilter": [], "withoutTimeFilter": []}
        try:
            sessions = create_session_factory(engine)
            await SqlConfigs(sessions, box).patch("test", patch, "sandbox")
            services = build_services(sessions, box, NoQueue())
            try:
                run, _ = await services.runs.request(
                    "test", trigger="sandbox", requested_by="sandbox"
                )
                await execute_run(services, run.id)
                done = await services.runs.get(run.id)
                assert done is not None
                return done
            finally:
                await services.aclose()
        finally:
            await engine.dispose()


def serve_filled(args: Any, options: dict[str, Any]) -> int:
    """``sandbox casavi --fill-from DB``: serve on ``--host``/``--port``, fill, keep serving
    until interrupted."""
    from app.sandbox.casavi.app import create_casavi_simulator
    from app.sandbox.casavi.server import ServerThread

    app = create_casavi_simulator(Path(args.state), **options)
    thread = ServerThread(app, port=args.port, host=args.host).start()
    try:
        documents = Path(args.documents) if args.documents else None
        run = asyncio.run(
            fill_simulator(
                thread.base_url, args.fill_from, profile=args.profile, documents=documents
            )
        )
        store = app.simulator.store
        counts = {k: store.count(k) for k in ("properties", "units", "contacts", "tickets")}
        print(
            f"casavi simulator {thread.base_url} filled from {args.fill_from}: run {run.status}, "
            f"sent {run.sent}; " + ", ".join(f"{n} {k}" for k, n in counts.items()),
            flush=True,
        )
        thread.wait()
    except KeyboardInterrupt:
        pass
    finally:
        thread.stop()
        app.simulator.store.close()
    return 0
