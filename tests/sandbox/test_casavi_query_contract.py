"""The simulator takes exactly the query parameters openapi/casavi.yaml declares, per
operation (and refuses the rest with 400), so the contract and the simulator cannot drift."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from app.sandbox.casavi import create_casavi_simulator
from tests.support.contract import SPEC_PATH

METHODS = {"get", "put", "post", "patch", "delete"}


def _declared(spec: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    components = spec["components"]["parameters"]
    found = {}
    for path, item in spec["paths"].items():
        for method in METHODS & set(item):
            names = set()
            for param in [*item.get("parameters", []), *item[method].get("parameters", [])]:
                if "$ref" in param:
                    param = components[param["$ref"].rsplit("/", 1)[1]]
                if param["in"] == "query":
                    names.add(param["name"])
            found[(method.upper(), path)] = frozenset(names)
    return found


def test_simulator_query_parameters_match_the_contract(tmp_path: Path) -> None:
    app = create_casavi_simulator(tmp_path / "q.db")
    try:
        served = {}
        for route in app.litestar.routes:
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            if not path.startswith("/v2/") and path != "/authenticate":
                continue
            for handler in getattr(route, "route_handlers", []):
                for method in handler.http_methods & {m.upper() for m in METHODS}:
                    served[(method, path)] = frozenset(handler.opt.get("query", ()))
        assert served == _declared(yaml.safe_load(SPEC_PATH.read_text()))
    finally:
        app.simulator.store.close()
