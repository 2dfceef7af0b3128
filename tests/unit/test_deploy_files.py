"""deploy/: the compose file and the systemd units use only the CLI's real commands and
options and the environment variables app/environment.py reads, with values it accepts (no
Docker engine or systemd runs here: the files are checked statically)."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.cli import build_parser
from app.configuration.secrets import new_key
from app.environment import _ENV_NAMES, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Read outside app/environment.py: the Alembic scripts' folder (app/adapters/store/migrate.py).
OTHER_VARIABLES = {"GATEWAY_MIGRATIONS_DIR"}
KNOWN = set(_ENV_NAMES.values()) | OTHER_VARIABLES
GATEWAY_IMAGE_SERVICES = ("migrate", "gateway", "worker")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def _substituted(value: str) -> str:
    """Compose's ${NAME:?message} with test values (a real key, a password)."""
    values = {"GATEWAY_SECRET_KEY": new_key(), "POSTGRES_PASSWORD": "pw"}
    return re.sub(r"\$\{(\w+)(:[?-][^}]*)?\}", lambda m: values[m.group(1)], value)


def test_compose_has_the_processes_their_dependencies_and_health_checks() -> None:
    services = _compose()["services"]
    assert set(services) == {"migrate", "gateway", "worker", "postgres", "redis"}
    for name in ("gateway", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("gateway", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert "gateway-data:/data" in services[name]["volumes"]  # the image's data volume
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert set(_compose()["volumes"]) == {"gateway-data", "postgres-data", "redis-data"}


@pytest.mark.parametrize("service", GATEWAY_IMAGE_SERVICES)
def test_compose_commands_parse_with_the_cli(service: str) -> None:
    command = _compose()["services"][service]["command"]
    args = build_parser().parse_args(command)
    assert args.command == command[0]


@pytest.mark.parametrize("service", GATEWAY_IMAGE_SERVICES)
def test_compose_environment_is_what_the_gateway_reads(service: str) -> None:
    environment = {
        k: _substituted(str(v)) for k, v in _compose()["services"][service]["environment"].items()
    }
    assert set(environment) - KNOWN == set()
    settings = load_settings(environment)  # accepted as they are
    assert settings.database_url.startswith("postgresql+asyncpg://gateway:pw@postgres:5432/")
    assert settings.redis_url == "redis://redis:6379/0"


def test_compose_health_checks_ask_the_ports_the_processes_serve() -> None:
    services = _compose()["services"]
    serve = build_parser().parse_args(services["gateway"]["command"])
    assert serve.host == "0.0.0.0"  # noqa: S104 - inside the container; published on loopback
    assert f"http://127.0.0.1:{serve.port}/health/ready" in " ".join(
        services["gateway"]["healthcheck"]["test"]
    )
    assert f"127.0.0.1:{serve.port}:{serve.port}" in services["gateway"]["ports"]
    worker = load_settings(
        {k: _substituted(str(v)) for k, v in services["worker"]["environment"].items()}
    )
    assert worker.worker_metrics_host == "0.0.0.0"  # noqa: S104 - inside the container
    assert f"http://127.0.0.1:{worker.worker_metrics_port}/metrics" in " ".join(
        services["worker"]["healthcheck"]["test"]
    )


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def _env_file() -> dict[str, str]:
    lines = (DEPLOY / "systemd" / "gateway.env.example").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {key: value for key, value in pairs}


@pytest.mark.parametrize(
    ("unit", "command"),
    [("portal-gateway.service", "serve"), ("portal-gateway-worker.service", "worker")],
)
def test_systemd_units_run_real_commands_with_known_settings(unit: str, command: str) -> None:
    service = _unit(unit)["Service"]
    assert service["EnvironmentFile"] == "/etc/portal-gateway/gateway.env"
    for key in ("ExecStart", "ExecStartPre"):
        if key not in service:
            continue
        argv = shlex.split(service[key])
        assert argv[0] == "/opt/portal-gateway/bin/portal-gateway"
        build_parser().parse_args(argv[1:])
    assert shlex.split(service["ExecStart"])[1] == command
    extra = dict(item.split("=", 1) for item in shlex.split(service.get("Environment", "")))
    environment = {**_env_file(), **extra, "GATEWAY_SECRET_KEY": new_key()}
    assert set(environment) - KNOWN == set()
    load_settings(environment)


def test_the_api_unit_migrates_before_serving_and_listens_on_loopback() -> None:
    service = _unit("portal-gateway.service")["Service"]
    assert shlex.split(service["ExecStartPre"])[1:] == ["migrate"]
    serve = build_parser().parse_args(shlex.split(service["ExecStart"])[1:])
    assert serve.host == "127.0.0.1"
    assert serve.workers > 1  # needs REDIS_URL, which the environment file sets
    assert load_settings({**_env_file(), "GATEWAY_SECRET_KEY": new_key()}).redis_url
