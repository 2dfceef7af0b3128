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

from sqlalchemy.exc import SQLAlchemyError

from app.errors import GatewayError
from app.monitoring.process_metrics import inbound_processed
from app.sync.inbound.errors import Park
from app.sync.inbound.fingerprints import ticket_fingerprinter
from app.sync.inbound.handlers import Handlers, retry_delay_seconds
from app.sync.inbound.polled import first_try
from app.sync.ports import InboxEvent, JobQueue
from app.sync.ports.events import InboundEvent, TicketPolled, UnknownEvent, decode_event
from app.sync.services import Services

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
    inbox = services.inbox
    applied = 0
    started = time.monotonic()
    while True:
        if time.monotonic() - started > MAX_JOB_SECONDS:
            # A ticket that keeps getting events: hand over to a fresh job rather than
            # run into the job timeout.
            await enqueue_ticket(services.queue, system, ticket_ref, "continue")
            return applied
        holder = uuid.uuid4().hex
        if not await inbox.claim(system, ticket_ref, holder, lease_seconds):
            return applied  # another job holds it and looks again after releasing
        try:
            applied += await _apply_pending(services, system, ticket_ref, holder, lease_seconds)
        finally:
            await inbox.release(system, ticket_ref, holder)
        if not await inbox.pending(system, ticket_ref):
            return applied


async def _apply_pending(
    services: Services, system: str, ticket_ref: str, holder: str, lease_seconds: float
) -> int:
    inbox = services.inbox
    events = await inbox.pending(system, ticket_ref)
    if not events:
        return 0
    applied = 0
    try:
        async with services.contexts.use(system) as ctx:
            if ctx.writer is None or ctx.casavi is None:
                raise Park("no ticket user (rule C11) or no casavi client for this system")
            handlers = Handlers(
                system=system,
                casavi=ctx.casavi,
                writer=ctx.writer,
                links=services.links,
                note_links=services.note_links,
                conflicts=services.conflicts,
                activity=services.portal_activity,
                settings=ctx.inbound,
                fingerprint=ticket_fingerprinter(
                    system, ctx.source, ctx.writer, services.links, ctx.config, services.clock
                ),
            )
            renewed = time.monotonic()
            for index, event in enumerate(events):
                if time.monotonic() - renewed > lease_seconds / 3:
                    await inbox.claim(system, ticket_ref, holder, lease_seconds)  # renew
                    renewed = time.monotonic()
                try:
                    outcome = await handlers.apply(stored_event(event))
                except Park as parked:
                    await _park(
                        services, [e.id for e in events[index:]], parked.reason, event.attempts
                    )
                    return applied
                except GatewayError as exc:
                    await _park(
                        services, [e.id for e in events[index:]], exc.detail, event.attempts
                    )
                    return applied
                except Exception as exc:  # iX-Haus or casavi down, a bug: park, never lose
                    reason = _describe(exc)
                    log.warning("inbound event %s parked: %s", event.id, type(exc).__name__)
                    await _park(services, [e.id for e in events[index:]], reason, event.attempts)
                    return applied
                await inbox.done(event.id)
                inbound_processed(system, event.received_at)  # metrics: receipt -> processed
                applied += 1
                log.info(
                    "inbound event %s (%s): %s",
                    event.id,
                    event.event_type,
                    outcome[:200] or "nothing to do",
                )
    except Park as parked:
        await _park(services, [e.id for e in events], parked.reason, events[0].attempts)
        return applied
    except GatewayError as exc:  # the system is switched off (C12) or not configured
        await _park(services, [e.id for e in events], exc.detail, events[0].attempts)
        return applied
    if applied:
        # What was parked for this ticket may apply now (e.g. the ticket exists at last).
        await inbox.unpark(system, ticket_ref)
    return applied


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


async def _park(services: Services, ids: list[int], reason: str, attempts: int) -> None:
    retry_at = services.clock() + dt.timedelta(seconds=retry_delay_seconds(attempts))
    await services.inbox.park(ids, reason, retry_at)


def _describe(exc: Exception) -> str:
    if isinstance(exc, SQLAlchemyError):
        # Never the statement's parameters (personal data): the driver's error type only.
        cause = getattr(exc, "orig", None) or exc
        return f"database error: {type(cause).__name__}"
    # Adapter errors carry method, path, status and a truncated body - never secrets.
    status = getattr(exc, "status", None)
    return f"{type(exc).__name__}{f' ({status})' if status else ''}: {exc}"[:1000]
