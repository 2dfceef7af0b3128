"""Schemathesis sends schema-valid requests generated from openapi/casavi.yaml to every
operation of the simulator: no server error, every status and body as the contract says.

The "schema-valid data must be accepted" check is left out on purpose: the simulator
rightly answers 422 to valid-looking bodies that name unknown reference ids, or whose id
differs from the path, which a generator cannot know.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, ServerThread, create_casavi_simulator
from tests.support.contract import SPEC_PATH

EXAMPLES_PER_OPERATION = 10


@pytest.mark.server  # the simulator on a socket
def test_generated_requests_get_contract_conformant_answers(tmp_path: Path) -> None:
    app = create_casavi_simulator(tmp_path / "fuzz.db")
    thread = ServerThread(app).start()
    try:
        token = httpx.post(
            f"{thread.base_url}/v2/authenticate",
            json={"key": SANDBOX_KEY, "secret": SANDBOX_SECRET},
        ).json()["token"]
        spec: dict[str, Any] = copy.deepcopy(yaml.safe_load(SPEC_PATH.read_text()))
        spec["servers"] = [{"url": thread.base_url}]
        schema = schemathesis.openapi.from_dict(spec)
        schema.config.update(base_url=thread.base_url)
        failures: list[str] = []
        operations = 0
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()
            operation = result.ok()
            operations += 1

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def check(case: Any) -> None:
                response = case.call(headers={"token": token})
                case.validate_response(response, excluded_checks=[positive_data_acceptance])

            try:
                check()
            except Exception as exc:  # collect every operation's failure, then report all
                failures.append(f"{operation.label}: {str(exc)[:1500]}")
        assert operations >= 40
        assert failures == []
    finally:
        thread.stop()
        app.simulator.store.close()
