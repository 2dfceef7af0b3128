"""``portal-gateway sync``: run a sync (or print its plan); the arguments and the text of
``sync --help`` live in ``app.cli_args`` so that building the parser imports none of this."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from typing import TextIO

import msgspec

from app.adapters.store.database import create_engine, create_session_factory
from app.configuration.secrets import SecretBox
from app.domain.keys import EntityKind
from app.environment import Settings, run_policy
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.plan import SyncPlan, plan_run
from app.sync.outbound.run import RUN_KINDS
from app.sync.ports import SyncRunInfo
from app.sync.queue import NoQueue
from app.sync.runs import execute_run
from app.sync.services import Services

EXIT = {"succeeded": 0, "partial": 3, "failed": 1}
_BAR = 24


async def run_sync_command(args: argparse.Namespace, settings: Settings) -> int:
    from app.composition import build_services

    engine = create_engine(settings.database_url)
    services = build_services(
        create_session_factory(engine),
        SecretBox(settings.secret_key),
        NoQueue(),
        policy=run_policy(settings),
    )
    try:
        if args.dry_run:
            return await _dry_run(services, args)
        return await _run(services, args.system, sys.stdout)
    finally:
        if services.alerts is not None:  # what this run reported (a tripped breaker, ...)
            with contextlib.suppress(Exception):  # the run's outcome is what the exit says
                await services.alerts.drain()
        await services.aclose()
        await engine.dispose()


async def _dry_run(services: Services, args: argparse.Namespace) -> int:
    kinds = [EntityKind(e) for e in args.entity] if args.entity else None
    async with services.contexts.use(args.system) as ctx:
        plan = await plan_run(ctx, now=services.clock(), kinds=kinds)
    if args.json:
        from app.api.sync_runs import plan_view

        print(msgspec.json.encode(plan_view(plan)).decode())
    else:
        print(_plan_text(plan))
    return 0


def _plan_text(plan: SyncPlan) -> str:
    lines = [
        f"dry run of {plan.system} (nothing was sent): {plan.creates} to create, "
        f"{plan.updates} to update, {plan.deletes} to delete, {plan.excludes} newly excluded; "
        f"{plan.unchanged} unchanged, {plan.still_excluded} still excluded, "
        f"{plan.waiting} waiting for a retry"
    ]
    for item in plan.items:
        detail = ""
        if item.action == "update":
            detail = ", ".join(item.fields) if item.fields is not None else "(fields unknown)"
        elif item.reason_code:
            detail = item.reason_code
        lines.append(f"  {item.action:<7} {item.key.ledger_key}  {detail}".rstrip())
    if plan.truncated:
        lines.append(f"  … only the first {len(plan.items)} records are listed")
    return "\n".join(lines)


async def _run(services: Services, system: str, out: TextIO) -> int:
    run, created = await services.runs.request(system, trigger="cli", requested_by="cli")
    started = time.monotonic()
    if not created:
        print(f"run {run.id} of {system} is already {run.status}; following it", file=out)
        done = await _follow(services, run.id, out)
    else:
        done = await _execute(services, run.id, out)
    print(_summary(done, time.monotonic() - started), file=out)
    return EXIT.get(done.status, 1)


async def _execute(services: Services, run_id: int, out: TextIO) -> SyncRunInfo:
    counts = Tally()
    progress = _Progress(counts, out)
    ticker = asyncio.create_task(progress.tick()) if progress.live else None
    try:
        await execute_run(services, run_id, tally=counts, progress=progress.stage_done)
    finally:
        if ticker is not None:
            ticker.cancel()
        progress.finish()
    done = await services.runs.get(run_id)
    assert done is not None
    return done


async def _follow(services: Services, run_id: int, out: TextIO) -> SyncRunInfo:
    while True:
        run = await services.runs.get(run_id)
        assert run is not None
        if run.status not in ("queued", "running"):
            return run
        await asyncio.sleep(1.0)


def _summary(run: SyncRunInfo, seconds: float) -> str:
    text = (
        f"run {run.id} {run.status} in {seconds:.1f} s: sent {run.sent}, unchanged "
        f"{run.unchanged}, excluded {run.excluded}, errors {run.errors}, waiting {run.waiting}"
    )
    if run.last_error:
        text += f"\n{run.last_error}"
    if run.errors:
        text += f"\nthe failed records: GET /api/v1/sync-runs/{run.id}/entries?outcome=error"
    return text


class _Progress:
    """A progress bar over the run's stages on a terminal; a line per stage otherwise."""

    def __init__(self, counts: Tally, out: TextIO) -> None:
        self.counts, self.out = counts, out
        self.live = out.isatty()
        self.done = 0
        self.stage = ""

    def stage_done(self, kind: EntityKind) -> None:
        self.done += 1
        self.stage = kind.value
        if self.live:
            self._draw()
        else:
            print(f"{kind.value} done; {self._counts()}", file=self.out, flush=True)

    async def tick(self) -> None:
        while True:
            self._draw()
            await asyncio.sleep(0.2)

    def finish(self) -> None:
        if self.live:
            self._draw()
            print(file=self.out)

    def _counts(self) -> str:
        c = self.counts
        return (
            f"sent {c.sent + c.removed}, unchanged {c.unchanged}, excluded {c.excluded}, "
            f"errors {c.errors}"
        )

    def _draw(self) -> None:
        filled = _BAR * self.done // len(RUN_KINDS)
        bar = "#" * filled + "-" * (_BAR - filled)
        line = f"\r[{bar}] {self.done}/{len(RUN_KINDS)} {self.stage:<16} {self._counts()}"
        self.out.write(line)
        self.out.flush()
