"""The poll - the default and documented way tenants' tickets and messages arrive (casavi
offers no native callbacks; callbacks are an optional fast path). Per active system, every
``pollSeconds``, it lists the casavi tickets modified after the cursor minus an overlap, as
casavi pages them, and stores one inbox event per (ticket, modifiedAt). Nothing changed =
one request. Quiet hours (C14) do not stop it: they are for the outbound runs.

- The cursor is casavi's own clock - the ``Date`` of the listing's first page, or the newest
  ``modifiedAt`` listed - never this machine's (except at the very first poll, without a
  Date header), so a casavi whose clock differs from ours loses nothing. It is stored, so a
  restart continues from it.
- The overlap window (``OVERLAP``, back from the cursor) catches late commits and tickets
  that casavi's offset paging shifted mid-listing; the events it yields twice have the same
  ids and are stored once (idempotent apply).
- The gateway's own changes are stored beforehand as done events under the same ids
  (``own_writes.py``): a ticket the outbound run touched is never read again.
- An event carries the listed ticket (``polled.py``): applying it reads only the messages.
"""

from __future__ import annotations

import datetime as dt
import logging

from app.sync.inbound.polled import polled_event
from app.sync.inbound.process import enqueue_ticket
from app.sync.services import Services

log = logging.getLogger(__name__)

# Changes committed late (a modifiedAt earlier than one already listed) and tickets casavi's
# offset paging shifted mid-listing are caught by looking back this far from the last
# listing's start in casavi's own clock (our clock never enters the cursor).
OVERLAP = dt.timedelta(seconds=10)
__all__ = ["poll_system", "poll_tick"]


async def poll_system(
    services: Services, system: str, *, force: bool = False, overlap: dt.timedelta = OVERLAP
) -> int:
    """Poll one system if its interval has passed; return how many new events were stored."""
    now = services.clock()
    cursor, polled_at = await services.inbox.cursor(system)
    async with services.contexts.use(system) as ctx:
        interval = dt.timedelta(seconds=ctx.inbound.poll_seconds)
        if not force and polled_at is not None and now - polled_at < interval:
            return 0
        if ctx.casavi is None:
            return 0
        # The first poll starts at "now" minus the overlap: changes from before the gateway
        # listened are not events. From then on the cursor is casavi's own modifiedAt.
        since = now - overlap if cursor is None else cursor - overlap
        events = []
        newest = cursor
        async for ticket in ctx.casavi.changed_since(since):
            events.append(polled_event(ticket))
            if ticket.deviation is None and (newest is None or ticket.modified_at > newest):
                newest = ticket.modified_at
        # casavi's clock when this listing began (its Date header) - or, without one, the
        # newest modifiedAt listed: the next poll looks back ``overlap`` from there.
        seen = [moment for moment in (newest, ctx.casavi.server_now()) if moment is not None]
        start = max(seen) if seen else since + overlap
    stored = await services.inbox.add(system, events)
    await services.inbox.set_cursor(system, start, now)
    for ticket_ref in dict.fromkeys(e.ticket_ref for e in stored):
        await enqueue_ticket(services.queue, system, ticket_ref, "poll")
    return len(stored)


async def poll_tick(services: Services, *, force: bool = False) -> dict[str, int]:
    """Poll every active system that is due (one failing system does not stop the others)."""
    done: dict[str, int] = {}
    for system, _ in await services.configs.schedules():
        try:
            done[system] = await poll_system(services, system, force=force)
        except Exception as exc:  # casavi down: the next tick tries again
            log.warning("inbound poll of %s failed: %s", system, type(exc).__name__)
    return done
