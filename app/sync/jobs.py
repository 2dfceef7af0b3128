"""Job functions, shared by the arq worker and the in-process queue.

``ctx`` carries what the composition root built: ``session_factory`` and ``outbound``. Jobs
take ids, never records, and every job is safe to run twice.
"""

from __future__ import annotations

from typing import Any

from app.sync.queue import JobFunction
from app.sync.runs import RUN_SYNC_JOB, execute_run


async def run_sync(ctx: dict[str, Any], run_id: int) -> str:
    return await execute_run(
        ctx["session_factory"], ctx["outbound"], run_id, job_try=int(ctx.get("job_try", 1))
    )


JOB_FUNCTIONS: dict[str, JobFunction] = {RUN_SYNC_JOB: run_sync}
