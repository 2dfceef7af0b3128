"""``portal-gateway``: serve, worker, migrate, openapi, apikey, sync, config, casavi, ixhaus,
sandbox, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.environment import Settings, SettingsError, get_settings

DEFAULT_OPENAPI_PATH = Path("openapi/gateway.json")


def openapi_document(settings: Settings) -> str:
    """The gateway's OpenAPI document as committed in ``openapi/gateway.json``."""
    from app.asgi import create_app

    schema = create_app(settings).openapi_schema.to_schema()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1 and settings.redis_url is None:  # before anything is imported or made
        raise SettingsError(
            "--workers > 1 needs REDIS_URL: without Redis each process would run the "
            "schedule and the jobs itself"
        )
    import uvicorn

    if settings.embedded and not args.no_migrate:
        from app.adapters.store import migrate

        # Embedded mode owns its SQLite file: bring it to the current schema first.
        migrate.upgrade(settings.database_url)
    if args.workers > 1:
        # Each worker process builds its own app (and clients) from the environment; this
        # one only supervises them (it never builds one).
        uvicorn.run(
            "app.asgi:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="info",
            access_log=not args.no_access_log,
            # X-Forwarded-For is the app's business (TRUSTED_PROXIES, app/api/proxies.py).
            proxy_headers=False,
        )
        return 0
    from app.asgi import create_app

    # Without Redis there is no worker: this process also runs the schedule (rule C14).
    app = create_app(settings, scheduler=settings.redis_url is None)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=not args.no_access_log,
        proxy_headers=False,  # X-Forwarded-For is the app's business (TRUSTED_PROXIES)
    )
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from arq.worker import get_kwargs

    from app.worker import WakingWorker, worker_settings

    # Rides out a Redis outage (ResilientWorker) and is woken by each queued job.
    WakingWorker(**get_kwargs(worker_settings(settings))).run()
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from app.adapters.store import migrate

    url = args.url or settings.database_url
    if args.sql:
        sys.stdout.write(migrate.render_sql(url, args.revision))
    elif args.downgrade:
        migrate.downgrade(url, args.downgrade)
        print(f"the gateway's database is at revision {args.downgrade}")
    else:
        migrate.upgrade(url, args.revision)
        print(f"the gateway's database is at revision {args.revision}")
    return 0


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    document = openapi_document(settings)
    if args.out == "-":
        sys.stdout.write(document)
    else:
        Path(args.out).write_text(document, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _migrated(settings: Settings) -> None:
    from app.adapters.store import migrate

    asyncio.run(migrate.require_current(settings.database_url))


def _apikey(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli_apikeys import run_apikey_command

    _migrated(settings)
    return asyncio.run(run_apikey_command(args, settings))


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    if args.entity and not args.dry_run:  # refused before the database or any import
        print("portal-gateway: --entity applies to --dry-run only", file=sys.stderr)
        return 2
    from app.cli_sync import run_sync_command

    _migrated(settings)
    return asyncio.run(run_sync_command(args, settings))


def _config(args: argparse.Namespace, settings: Settings) -> int:
    from app.configuration.cli import run_config_command

    if args.config_command != "new-key":
        _migrated(settings)
    return asyncio.run(run_config_command(args, settings))


def _casavi(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli_casavi import run_casavi_command

    _migrated(settings)
    return asyncio.run(run_casavi_command(args, settings))


def _ixhaus(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli_ixhaus import run_ixhaus_command

    if args.ixhaus_command == "check":
        _migrated(settings)
    return run_ixhaus_command(args, settings)


def _sandbox_seed(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from app.sandbox.ixhaus import seed_database

    report = asyncio.run(seed_database(args.db, args.profile, args.seed))
    summary: dict[str, Any] = {
        "profile": report.profile,
        "seed": report.seed,
        "seconds": round(report.seconds, 2),
        "counts": report.counts,
    }
    if args.documents:
        from app.sandbox.ixhaus.files import write_seeded_documents

        summary["documentFiles"] = asyncio.run(
            write_seeded_documents(args.db, Path(args.documents))
        )
        summary["documentRoot"] = str(Path(args.documents).resolve())
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(summary)).decode() + "\n")
    return 0


def _page_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 500:  # the contract's pageSize range
        raise argparse.ArgumentTypeError("must be between 1 and 500")
    return value


def _sandbox_casavi(args: argparse.Namespace, settings: Settings) -> int:
    from app.sandbox.casavi.server import run_simulator
    from app.sandbox.casavi.variants import parse_variant

    try:
        variant = parse_variant(args.variant or "")
    except ValueError as exc:
        raise SettingsError(f"--variant: {exc}") from None
    options = {
        "callback_url": args.callback_url,
        "callback_secret": args.callback_secret,
        "default_page_size": args.page_size,
        "invite_contacts": not args.no_invite,
        "variant": variant,
    }
    if args.fill_from:
        from app.sandbox.casavi.fill import serve_filled

        return serve_filled(args, options)
    run_simulator(args.host, args.port, Path(args.state), **options)
    return 0


def _sandbox_docuware(args: argparse.Namespace, settings: Settings) -> int:
    from app.sandbox.docuware.server import run_simulator

    options = {"webhook_url": args.webhook_url, "webhook_secret": args.webhook_secret}
    run_simulator(args.host, args.port, **options)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.sandbox.demo import run_demo

    summary = run_demo(
        Path(args.dir),
        host=args.host,
        port=args.port,
        casavi_port=args.casavi_port,
        docuware_port=args.docuware_port,
        reset=args.reset,
        serve=not args.once,
    )
    return 0 if summary["errors"] == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portal-gateway", description="iX-Haus ⇄ casavi service-portal gateway"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not upgrade an embedded SQLite database"
    )
    serve.add_argument(
        "--workers", type=int, default=1, help="HTTP worker processes (more than 1 needs REDIS_URL)"
    )
    serve.add_argument(
        "--no-access-log",
        action="store_true",
        help="no line per request (a bulk portal-status URL carries up to 100 numbers)",
    )
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run the arq worker (needs REDIS_URL)")
    worker.set_defaults(handler=_worker)

    migrate = commands.add_parser("migrate", help="upgrade the gateway's tables (alembic)")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION")
    migrate.add_argument("--sql", action="store_true", help="print the DDL instead of running it")
    migrate.add_argument("--url", help="database URL (default: DATABASE_URL)")
    migrate.set_defaults(handler=_migrate)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--out", default=str(DEFAULT_OPENAPI_PATH), help="file, or - for stdout")
    openapi.set_defaults(handler=_openapi)

    apikey = commands.add_parser("apikey", help="manage API keys")
    keys = apikey.add_subparsers(dest="apikey_command", required=True)
    create = keys.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", required=True, choices=["ixhaus", "admin"])
    keys.add_parser("list", help="list keys (never the keys themselves)")
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("--name", required=True)
    apikey.set_defaults(handler=_apikey)

    sandbox = commands.add_parser("sandbox", help="sample data and simulators (never production)")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    seed = sandbox_commands.add_parser("seed", help="create and fill an iX-Haus sandbox database")
    seed.add_argument("--profile", choices=["small", "medium", "large"], default="small")
    seed.add_argument("--db", required=True, help="database URL (sqlite:///… or postgresql://…)")
    seed.add_argument("--seed", type=int, default=1, help="same seed, same data")
    seed.add_argument(
        "--documents",
        metavar="DIR",
        help="also write the documents' files below DIR (the system's ixhaus.documentRoot)",
    )
    seed.set_defaults(handler=_sandbox_seed)

    from app.sandbox.credentials import SANDBOX_KEY, SANDBOX_SECRET

    casavi = sandbox_commands.add_parser(
        "casavi",
        help="serve the casavi simulator",
        description="Serve the casavi simulator (openapi/casavi.yaml) on loopback.",
        epilog=f"Credentials: key {SANDBOX_KEY!r}, secret {SANDBOX_SECRET!r} "
        "(POST /v2/authenticate). Sandbox controls under /_sandbox (faults, callbacks, "
        "tenant and staff actions); see app/sandbox/casavi/__init__.py.",
    )
    casavi.add_argument("--host", default="127.0.0.1")
    casavi.add_argument("--port", type=int, default=8090)
    casavi.add_argument("--state", default="casavi-simulator.db", help="its SQLite state file")
    casavi.add_argument("--callback-url", help="where to send signed callbacks")
    casavi.add_argument("--callback-secret", help="HMAC secret for the callbacks")
    casavi.add_argument(
        "--page-size", type=_page_size, default=50, help="page size when pageSize is not sent"
    )
    casavi.add_argument(
        "--fill-from",
        metavar="DB",
        help="start filled: export this seeded iX-Haus sandbox into it first (no sync of your own)",
    )
    casavi.add_argument(
        "--profile",
        choices=["small", "medium", "large"],
        default="small",
        help="with --fill-from: the profile the sandbox was seeded with",
    )
    casavi.add_argument(
        "--documents",
        metavar="DIR",
        help="with --fill-from: the documents' files (seed --documents)",
    )
    casavi.add_argument(
        "--no-invite",
        action="store_true",
        help="do not invite new contacts that have an e-mail address (invited, not registered)",
    )
    casavi.add_argument(
        "--variant",
        help="deviate from the contract: comments, no-ticket-create, rename:subject=summary "
        "(comma-separated; see app/sandbox/casavi/variants.py)",
    )
    casavi.set_defaults(handler=_sandbox_casavi)

    docuware = sandbox_commands.add_parser("docuware", help="serve the DocuWare simulator")
    docuware.add_argument("--host", default="127.0.0.1")
    docuware.add_argument("--port", type=int, default=8091)
    docuware.add_argument("--webhook-url", help="where to send signed document notifications")
    docuware.add_argument("--webhook-secret", help="the passphrase that signs them")
    docuware.set_defaults(handler=_sandbox_docuware)

    demo = commands.add_parser("demo", help="a real sync on the embedded default, then serve")
    demo.add_argument("--dir", default="portal-gateway-demo", help="folder for the demo's data")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--casavi-port", type=int, default=0, help="0 picks a free port")
    demo.add_argument("--docuware-port", type=int, default=0, help="0 picks a free port")
    demo.add_argument(
        "--reset", action="store_true", help="start from scratch (remove the demo's own files)"
    )
    demo.add_argument("--once", action="store_true", help="sync and exit (do not serve)")
    demo.set_defaults(handler=_demo)

    # Only import-light modules here: a command's own module is imported when it runs
    # (tests/unit/test_cli_imports.py).
    from app.cli_args import add_sync_parser

    add_sync_parser(commands)
    commands.choices["sync"].set_defaults(handler=_sync)

    from app.cli_casavi import add_parser as add_casavi_parser

    add_casavi_parser(commands)
    commands.choices["casavi"].set_defaults(handler=_casavi)

    from app.configuration.cli import add_parser as add_config_parser

    add_config_parser(commands)
    commands.choices["config"].set_defaults(handler=_config)

    from app.cli_ixhaus import add_parser as add_ixhaus_parser

    add_ixhaus_parser(commands)
    commands.choices["ixhaus"].set_defaults(handler=_ixhaus)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"portal-gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "DEBUG":
        # Alembic announces its plugins and context at INFO on every command: noise for
        # an operator (migrate prints the revision it reached itself).
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

    from app import logsafe

    logsafe.install()  # one line per record, whatever a request put into a message
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        return handler(args, settings)
    except SettingsError as exc:
        print(f"portal-gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    except _expected_errors() as exc:
        print(f"portal-gateway: {exc}", file=sys.stderr)
        return 1


def _expected_errors() -> tuple[type[Exception], ...]:
    from app.adapters.store.migrate import SchemaNotCurrent
    from app.errors import GatewayError

    return (GatewayError, SchemaNotCurrent)


def run() -> Any:  # pragma: no cover - console entry
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
