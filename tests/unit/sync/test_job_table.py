"""One table of jobs (issue 20 item 4): every job is registered with arq from it, and the
embedded runner ticks the periodic ones from it - no second list, no ``*_forever`` twins."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from app.environment import load_settings
from app.sync.jobs import JOB_FUNCTIONS, JOBS, PERIODIC, Job, start_periodic
from app.worker import cron_job_name, worker_settings

SETTINGS = load_settings({"REDIS_URL": "redis://127.0.0.1:6379/0", "INBOUND_SWEEP_SECONDS": "20"})


def test_every_job_of_the_table_is_an_arq_function_or_cron_job() -> None:
    arq = worker_settings(SETTINGS)
    functions = {f.name: f.coroutine for f in arq["functions"]}
    crons = {c.name: c for c in arq["cron_jobs"]}
    assert len(functions) + len(crons) == len(JOBS)
    for job in JOBS:
        if job.every is None:
            # Queued by name; the worker counts it (``observed`` wraps the table's function).
            assert functions[job.name].__wrapped__ is job.function
        else:
            cron = crons[cron_job_name(SETTINGS, job.name)]
            assert cron.coroutine.__wrapped__ is job.function
            assert cron.run_at_startup is job.at_startup
            assert cron.second == set(range(0, 60, job.period(SETTINGS)))
    assert crons[cron_job_name(SETTINGS, "inbound-sweep")].second == {0, 20, 40}


def test_queued_and_periodic_jobs_split_the_table() -> None:
    assert set(JOB_FUNCTIONS) == {"run_sync", "inbound_ticket", "docuware_document"}
    assert [job.name for job in PERIODIC] == ["schedule", "inbound-poll", "inbound-sweep"]
    assert set(JOB_FUNCTIONS).isdisjoint(job.name for job in PERIODIC)


async def test_the_embedded_runner_ticks_every_periodic_job_of_the_table() -> None:
    ticks: dict[str, int] = {}
    done = asyncio.Event()

    def job(name: str, fails: bool) -> Job:
        async def tick(services: Any) -> None:
            assert services is handed  # the runner hands over the services, not a dict
            ticks[name] = ticks.get(name, 0) + 1
            if all(ticks.get(n, 0) >= 2 for n in ("ok", "failing")):
                done.set()
            if fails:
                raise RuntimeError("database away")  # logged; the next tick tries again

        return Job(name, tick, every=lambda _: 0)

    handed: Any = object()
    tasks = start_periodic(handed, SETTINGS, (job("ok", False), job("failing", True)))
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert [task.get_name() for task in tasks] == ["ok", "failing"]


async def test_the_embedded_runner_starts_the_tables_periodic_jobs() -> None:
    tasks = start_periodic(cast(Any, None), SETTINGS)
    try:
        assert [task.get_name() for task in tasks] == [job.name for job in PERIODIC]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
