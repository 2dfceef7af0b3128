"""The inbox's safety net: re-enqueue what is stored but not processed, retry parked
events whose backoff has passed, and purge processed payloads after the retention period
(with them, the support archive and protocol entries past their own retention, C13).

A callback stored while Redis was down, a job lost with a killed worker, an enqueue that
failed after the commit: all end here within one sweep interval. Jobs are idempotent, so
re-enqueuing a ticket whose job is still running costs one lease check.
"""

from __future__ import annotations

import datetime as dt
import logging

from app.sync.inbound.process import enqueue_ticket
from app.sync.services import Services

log = logging.getLogger(__name__)

# A row younger than this still has its own job coming (enqueued after the commit).
GRACE = dt.timedelta(seconds=1)


async def sweep(services: Services) -> int:
    """Enqueue every ticket with due events and purge old payloads; return tickets queued."""
    now = services.clock()
    due = await services.inbox.due(now, now - GRACE)
    for system, ticket_ref in due:
        await enqueue_ticket(services.queue, system, ticket_ref, "sweep")
    for system, _ in await services.configs.schedules():
        try:
            # The system's cached context: no secrets are decrypted again on every sweep.
            async with services.contexts.use(system) as ctx:
                inbound_days, kept_days = ctx.inbound.retention_days, ctx.config.retention_days
                two_way = ctx.stores.two_way
            await services.inbox.purge(system, now - dt.timedelta(days=inbound_days))
            # C13/GDPR: the support archive and the protocol, in small batches.
            if two_way is not None and two_way.archive is not None:
                await two_way.archive.purge(now - dt.timedelta(days=kept_days))
        except Exception as exc:
            log.warning("purge of %s failed: %s", system, type(exc).__name__)
    return len(due)
