"""The fingerprint the outbound run would compute for one iX-Haus ticket.

A ticket created from casavi is linked in the ledger with this fingerprint, so the next
outbound run finds it unchanged and sends nothing (and never creates a second casavi
ticket). Same rules as the run: ``decide_ticket`` then references casavi does not have are
left out (``sources.ticket_references``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from app.domain.config import SyncConfig
from app.domain.decisions import Transfer
from app.domain.eligibility.tickets import decide_ticket
from app.domain.fingerprint import fingerprint
from app.domain.keys import EntityKind, RecordKey
from app.sync.outbound.sources import ticket_references
from app.sync.ports import IxhausSource, IxhausWriter
from app.sync.stores import identities_of
from app.sync.two_way import SystemLinks

FingerprintFn = Callable[[int], Awaitable[str | None]]


def ticket_fingerprinter(
    source: IxhausSource,
    writer: IxhausWriter,
    links: SystemLinks,
    config: SyncConfig,
    clock: Callable[[], datetime],
) -> FingerprintFn:
    async def compute(number: int) -> str | None:
        ticket = await writer.ticket(number)
        if ticket is None:
            return None
        types = {t.number: t async for t in source.ticket_types()}
        decision = decide_ticket(
            ticket, types.get(ticket.type_no), config, clock(), first_export=False
        )
        if not isinstance(decision, Transfer):
            return None
        wanted = [
            RecordKey.of(EntityKind.PERSON, ticket.reporter_person_no or "-"),
            RecordKey.of(EntityKind.USER, ticket.responsible_user_no or "-"),
            RecordKey.of(EntityKind.TEAM, ticket.team_no or "-"),
        ]
        if ticket.unit_no:
            wanted.append(RecordKey.unit(ticket.object_no, ticket.unit_no))
        entries = {}
        for key in wanted:
            entry = await links.entry(key)
            if entry is not None:
                entries[key] = entry
        return fingerprint(ticket_references(decision.record, identities_of(entries)))

    return compute
