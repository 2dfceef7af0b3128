"""One outbound run of a system: configuration -> iX-Haus reader + casavi writer -> stages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.ixhaus.reader import IxhausReader
from app.adapters.ixhaus.schema import IxhausSchemaConfig, IxhausTables
from app.adapters.store.base import utcnow
from app.adapters.store.database import create_engine
from app.adapters.store.ledger import Ledger, LedgerEntry
from app.config import normalise_database_url
from app.configuration.document import SYSTEMS
from app.configuration.rules import to_sync_config
from app.configuration.secrets import SecretBox
from app.configuration.service import ConfigService
from app.errors import GatewayError
from app.sync import sources
from app.sync.outbound import StageCounts, run_stage, ticket_portal_status
from app.sync.ports import PortalWriter, RunCounts


class SyncNotPossible(GatewayError):
    status = 409
    code = "sync-not-possible"
    title = "Sync not possible"


class CasaviAccess(msgspec.Struct, frozen=True):
    base_url: str
    key: str
    secret: str
    # Staff reference id that signs bulletin-board posts without a responsible user: the
    # configured ticket user (rule C11).
    post_author_id: str | None = None

    def __repr__(self) -> str:
        return f"CasaviAccess(base_url={self.base_url!r})"


PortalFactory = Callable[[CasaviAccess], AbstractAsyncContextManager[PortalWriter]]


class IxhausToCasavi:
    """The real outbound sync (implements ``ports.OutboundSync``)."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        secret_box: SecretBox,
        portal: PortalFactory,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._box = secret_box
        self._portal = portal
        self._clock = clock

    async def __call__(self, system: str, run_id: int) -> RunCounts:
        if system not in SYSTEMS:
            raise SyncNotPossible(f"Unknown system {system!r}.")
        async with self._sessions() as session:
            service = ConfigService(session, self._box)
            doc = await service.document(system)
            if not doc.active:
                raise SyncNotPossible("The interface of this system is switched off (rule C12).")
            ixhaus_url = await service.secret(system, "ixhausDatabaseUrl")
            key = await service.secret(system, "casaviApiKey")
            secret = await service.secret(system, "casaviSecret")
        if not ixhaus_url:
            raise SyncNotPossible("The iX-Haus database is not configured (ixhausDatabaseUrl).")
        if not (doc.casavi.base_url and key and secret):
            raise SyncNotPossible("casavi is not configured (base URL, API key and secret).")
        config = to_sync_config(doc)
        tables = IxhausTables(
            IxhausSchemaConfig(
                schema=doc.ixhaus.schema,
                table_names=doc.ixhaus.table_names,
                prefix=doc.ixhaus.table_prefix,
            )
        )
        now = self._clock()
        today = now.date()
        ledger = Ledger(self._sessions)
        engine = create_engine(normalise_database_url(ixhaus_url))
        total = StageCounts()
        try:
            reader = IxhausReader(engine, tables)
            access = CasaviAccess(doc.casavi.base_url, key, secret, doc.ticket_user_number)
            async with self._portal(access) as writer:
                stage = functools.partial(
                    run_stage, system=system, run_id=run_id, ledger=ledger, writer=writer
                )
                for entity, decisions in (
                    ("object", sources.object_decisions(reader, config)),
                    ("unit", sources.unit_decisions(reader, config, today)),
                    ("person", sources.person_decisions(reader, config, today)),
                    ("user", sources.user_decisions(reader)),
                    ("team", sources.team_decisions(reader, config)),
                    *(
                        (entity, sources.reference_decisions(reader, entity))
                        for entity in ("ticket_type", "ticket_status", "ticket_priority")
                    ),
                ):
                    _add(total, await stage(entity, decisions))
                known_tickets = await ledger.load(system, "ticket")
                in_portal: set[str] = set()
                for entity in ("person", "unit", "user", "team"):
                    in_portal |= _sent(await ledger.load(system, entity))
                tickets = sources.ticket_decisions(
                    reader, config, now, sent=_sent(known_tickets), in_portal=in_portal
                )
                counts = await stage(
                    "ticket", tickets, known=known_tickets, portal_status=ticket_portal_status
                )
                _add(total, counts)
        finally:
            await engine.dispose()
        return RunCounts(
            sent=total.sent + total.removed,
            skipped=total.excluded + total.unchanged,
            errors=total.errors,
        )


def _sent(entries: dict[str, LedgerEntry]) -> set[str]:
    return {key for key, entry in entries.items() if entry.state == "sent"}


def _add(total: StageCounts, stage: StageCounts) -> None:
    for field in StageCounts.__struct_fields__:
        setattr(total, field, getattr(total, field) + getattr(stage, field))


def casavi_outbound(
    session_factory: async_sessionmaker[AsyncSession], secret_box: SecretBox
) -> IxhausToCasavi:
    """The production wiring: iX-Haus (from the system's configuration) to casavi."""
    from app.adapters.casavi.portal import casavi_portal

    return IxhausToCasavi(
        session_factory,
        secret_box,
        lambda a: casavi_portal(a.base_url, a.key, a.secret, a.post_author_id),
    )
