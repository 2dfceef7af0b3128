"""The per-ticket job: apply one casavi ticket's pending inbox events, in order, alone.

One job at a time per (system, casavi ticket): a lease row claimed with a conditional
UPDATE (and renewed per event; a killed job's lease expires). Events are applied in
(occurredAt, id) order; one that cannot be applied is parked with its reason, and so are
the ticket's later events (order is kept), each retried with capped exponential backoff by
the sweeper or at once over the API. After releasing the lease the job looks again: an
event stored while it ran (whose own job found the lease taken) is not left behind.

Effects are idempotent (iX-Haus rows by ``source_ref``, note links, the ledger), so a job
killed between an effect and marking its event done repeats the event without a second
effect.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

from sqlalchemy.exc import SQLAlchemyError

from app.errors import GatewayError
from app.monitoring.process_metrics import inbound_processed
from app.sync.context import SystemContext
from app.sync.inbound.errors import Park
from app.sync.inbound.fingerprints import ticket_fingerprinter
from app.sync.inbound.handlers import Handlers, retry_delay_seconds
from app.sync.inbound.polled import first_try
from app.sync.ports import Inbox, InboxEvent, JobQueue
from app.sync.ports.events import InboundEvent, TicketPolled, UnknownEvent, decode_event
from app.sync.services import Services
from app.sync.stores import two_way_of

log = logging.getLogger(__name__)

INBOUND_JOB = "inbound_ticket"
DEFAULT_LEASE_SECONDS = 30.0
# A job hands a busy ticket over to a fresh job after this long (arq's job timeout is 600 s).
MAX_JOB_SECONDS = 120.0


async def enqueue_ticket(queue: JobQueue, system: str, ticket_ref: str, reason: str) -> bool:
    """Queue the ticket's job; never raises (the sweeper re-enqueues what is left)."""
    try:
        # A fresh job id each time: arq keeps a finished job's id (its result) for an hour.
        job_id = f"inbound:{system}:{ticket_ref}:{reason}:{uuid.uuid4().hex[:8]}"
        return await queue.enqueue(INBOUND_JOB, system, ticket_ref, job_id=job_id)
    except Exception as exc:  # Redis down: the event is in the inbox, the sweeper has it
        log.warning("could not enqueue inbound ticket job: %s", type(exc).__name__)
        return False


async def process_ticket(
    services: Services,
    system: str,
    ticket_ref: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> int:
    """Apply the ticket's pending events; return how many were applied."""
    applied = 0
    async with aclosing(_turns(services, system, ticket_ref, lease_seconds)) as turns:
        async for lease, events in turns:
            try:
                async with services.contexts.use(system) as ctx:
                    handlers = _handlers(ctx, services.clock)
                    for index, event in enumerate(events):
                        await lease.renew()
                        try:
                            outcome = await handlers.apply(stored_event(event))
                        except Exception as exc:  # iX-Haus or casavi down, a bug: never lost
                            await _park(services.inbox, services.clock, events[index:], exc)
                            break
                        await _done(services.inbox, event, outcome)
                        applied += 1
                    else:
                        # What was parked for this ticket may apply now (the ticket exists).
                        await services.inbox.unpark(system, ticket_ref)
            except (Park, GatewayError) as exc:  # switched off (C12), not configured
                await _park(services.inbox, services.clock, events, exc)
    return applied


class _Lease:
    """The ticket's lease, held by one job: renewed while it works (a killed job's expires)."""

    def __init__(self, inbox: Inbox, system: str, ticket_ref: str, seconds: float) -> None:
        self._inbox, self._system, self._ticket_ref = inbox, system, ticket_ref
        self.holder = uuid.uuid4().hex
        self.seconds = seconds
        self._renewed = time.monotonic()

    async def claim(self) -> bool:
        self._renewed = time.monotonic()
        return await self._inbox.claim(self._system, self._ticket_ref, self.holder, self.seconds)

    async def renew(self) -> None:
        if time.monotonic() - self._renewed > self.seconds / 3:
            await self.claim()

    async def release(self) -> None:
        await self._inbox.release(self._system, self._ticket_ref, self.holder)


async def _turns(
    services: Services, system: str, ticket_ref: str, lease_seconds: float
) -> AsyncGenerator[tuple[_Lease, list[InboxEvent]], None]:
    """The job's turns on the ticket: each with the lease held and the events pending then.
    They end when nothing is pending after a turn, when another job holds the lease (it
    looks again after releasing), or when the job has worked long enough."""
    started = time.monotonic()
    while True:
        if time.monotonic() - started > MAX_JOB_SECONDS:
            # A ticket that keeps getting events: hand over to a fresh job rather than
            # run into the job timeout.
            await enqueue_ticket(services.queue, system, ticket_ref, "continue")
            return
        lease = _Lease(services.inbox, system, ticket_ref, lease_seconds)
        if not await lease.claim():
            return
        try:
            events = await services.inbox.pending(system, ticket_ref)
            if events:
                yield lease, events
        finally:
            await lease.release()
        if not await services.inbox.pending(system, ticket_ref):
            return


def _handlers(ctx: SystemContext, clock: Callable[[], dt.datetime]) -> Handlers:
    if ctx.writer is None or ctx.casavi is None:
        raise Park("no ticket user (rule C11) or no casavi client for this system")
    two_way = two_way_of(ctx.stores)
    return Handlers(
        casavi=ctx.casavi,
        writer=ctx.writer,
        links=two_way.links,
        note_links=two_way.note_links,
        conflicts=two_way.conflicts,
        activity=two_way.portal_activity,
        settings=ctx.inbound,
        fingerprint=ticket_fingerprinter(ctx.source, ctx.writer, two_way.links, ctx.config, clock),
    )


async def _done(inbox: Inbox, event: InboxEvent, outcome: str) -> None:
    await inbox.done(event.id)
    inbound_processed(event.system, event.received_at)  # metrics: receipt -> processed
    log.info(
        "inbound event %s (%s): %s", event.id, event.event_type, outcome[:200] or "nothing to do"
    )


def stored_event(row: InboxEvent) -> InboundEvent:
    """The inbox row as its kind, decoded once here; one the gateway does not know is
    parked with the reason (a later version may know it), never a crash."""
    try:
        event = decode_event(row.event_type, row.payload)
    except UnknownEvent as exc:
        raise Park(str(exc)) from None
    match event:
        case TicketPolled():
            return first_try(event, row.attempts)
        case _:
            return event


async def _park(
    inbox: Inbox, clock: Callable[[], dt.datetime], events: list[InboxEvent], exc: Exception
) -> None:
    """Park ``events`` (the failing one and the ticket's later ones: order is kept) with the
    reason, to be retried after the backoff of the first one's attempts."""
    if isinstance(exc, Park):
        reason = exc.reason
    elif isinstance(exc, GatewayError):
        reason = exc.detail
    else:
        reason = _describe(exc)
        log.warning("inbound event %s parked: %s", events[0].id, type(exc).__name__)
    retry_at = clock() + dt.timedelta(seconds=retry_delay_seconds(events[0].attempts))
    await inbox.park([e.id for e in events], reason, retry_at)


def _describe(exc: Exception) -> str:
    if isinstance(exc, SQLAlchemyError):
        # Never the statement's parameters (personal data): the driver's error type only.
        cause = getattr(exc, "orig", None) or exc
        return f"database error: {type(cause).__name__}"
    # Adapter errors carry method, path, status and a truncated body - never secrets.
    status = getattr(exc, "status", None)
    return f"{type(exc).__name__}{f' ({status})' if status else ''}: {exc}"[:1000]
