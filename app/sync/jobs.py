"""Job functions, shared by the arq worker and the in-process queue.

``ctx["services"]`` carries what the composition root built (``app.sync.services``). Jobs
take ids, never records; each calls one flow, and every job is safe to run twice.
"""

from __future__ import annotations

from typing import Any

from app.sync.outbound.notes import TwoWay
from app.sync.queue import JobFunction
from app.sync.runs import RUN_SYNC_JOB, execute_run
from app.sync.services import Services


async def run_sync(ctx: dict[str, Any], run_id: int) -> str:
    services: Services = ctx["services"]
    return await execute_run(
        runs=services.runs,
        contexts=services.contexts,
        ledger=services.ledger,
        portal_states=services.portal_states,
        clock=services.clock,
        run_id=run_id,
        queue=services.queue,
        policy=services.policy,
        two_way=TwoWay.of(services),
    )


JOB_FUNCTIONS: dict[str, JobFunction] = {RUN_SYNC_JOB: run_sync}
