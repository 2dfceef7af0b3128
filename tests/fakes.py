"""In-memory fakes of every port in ``app.sync.ports`` (flows are unit-tested over these).

Each fake keeps what a test wants to look at in plain attributes (``puts``, ``removes``,
``saved``...). They follow the ports' contracts, including idempotency where the port
promises it.
"""

from __future__ import annotations

import asyncio
import builtins
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import msgspec

from app.configuration.document import (
    CasaviSettings,
    ConfigChangeView,
    ConfigDocument,
    ConfigInput,
    ConfigView,
    Schedule,
    SecretsInput,
    SecretState,
    SecretsView,
)
from app.configuration.patch import apply_merge_patch
from app.configuration.rules import system_settings
from app.configuration.validation import checked_input
from app.domain import records as r
from app.domain.catalogue import IxhausCatalogue
from app.domain.config import SyncConfig
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.context import AdapterFactory, SystemAdapters, SystemContext, SystemContexts
from app.sync.policy import RunPolicy
from app.sync.ports import (
    OWN_WRITE_EVENT,
    CasaviAttachmentView,
    CasaviMessageView,
    CasaviTicketView,
    Configs,
    ConflictRecord,
    ConflictSide,
    InboxEvent,
    JobQueue,
    Ledger,
    LedgerEntry,
    NewConflict,
    NewInboxEvent,
    NoteLink,
    Outcome,
    PortalRecord,
    PortalStates,
    PortalStatus,
    PortalWrite,
    Presence,
    ProtocolPage,
    RunClaim,
    RunCounts,
    Runs,
    RunStatus,
    SyncRunInfo,
    SystemSecrets,
    SystemSettings,
    TicketPortalView,
)
from app.sync.services import Services
from app.sync.stores import Stores, TwoWay

NOW = dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC)


class FakePortal:
    """casavi as a dict: what was put and removed, with optional failing keys.

    Like the real portal, ``prepare`` resolves the ids a record names through the identity
    map (raising ``ParentUnsettled`` for an unsettled parent) before anything is written:
    ``parents`` says which keys a record names (a test sets it per key). ``delay`` makes
    every write take that long (a slow casavi)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.records: dict[RecordKey, PortalRecord] = {}
        self.puts: list[RecordKey] = []
        self.presences: list[tuple[RecordKey, Presence]] = []
        self.removes: list[RecordKey] = []
        self.fail_keys: set[RecordKey] = set()
        self.parents: dict[RecordKey, list[RecordKey]] = {}
        self.verified = 0
        self.empty = True

    def prepare(self, key: RecordKey, record: PortalRecord, ids: IdentityMap) -> PortalWrite:
        for parent in self.parents.get(key, ()):
            ids.parent(parent)
        casavi_id = ids.casavi_id(key)

        async def write(presence: Presence) -> str:
            if self.delay:
                await asyncio.sleep(self.delay)
            if key in self.fail_keys:
                raise RuntimeError("casavi said no")
            self.records[key] = record
            self.puts.append(key)
            self.presences.append((key, presence))
            return casavi_id

        return write

    async def remove(self, key: RecordKey, *, ids: IdentityMap) -> None:
        if key in self.fail_keys:
            raise RuntimeError("casavi said no")
        self.records.pop(key, None)
        self.removes.append(key)

    async def verify(self) -> None:
        self.verified += 1

    async def is_empty(self) -> bool:
        return self.empty


class FakeLedger:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, RecordKey], LedgerEntry] = {}
        self.protocol: list[tuple[int | None, Outcome]] = []
        self.saves = 0
        self.digests: dict[tuple[str, RecordKey], str] = {}
        self._ids = itertools.count(1)

    async def load(self, system: str, kind: EntityKind) -> dict[str, LedgerEntry]:
        return {
            k.ledger_key: e for (s, k), e in self.rows.items() if s == system and k.kind is kind
        }

    async def identities(self, system: str, kinds: Sequence[EntityKind]) -> IdentityMap:
        return IdentityMap.of_rows(
            (k.kind.value, k.ledger_key, e.state, e.casavi_id)
            for (s, k), e in self.rows.items()
            if s == system and k.kind in kinds
        )

    async def is_empty(self, system: str) -> bool:
        return not any(s == system for s, _ in self.rows)

    async def entries(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, LedgerEntry]:
        return {k: self.rows[(system, k)] for k in keys if (system, k) in self.rows}

    async def field_digests(self, system: str, keys: Sequence[RecordKey]) -> dict[RecordKey, str]:
        return {k: self.digests[(system, k)] for k in keys if (system, k) in self.digests}

    async def save(
        self,
        system: str,
        kind: EntityKind,
        outcomes: Sequence[Outcome],
        known: dict[str, LedgerEntry],
        *,
        run_id: int | None,
    ) -> None:
        if not outcomes:
            return
        self.saves += 1
        for o in outcomes:
            old = self.rows.get((system, o.key))
            self.rows[(system, o.key)] = LedgerEntry(
                old.id if old else next(self._ids),
                o.fingerprint,
                o.state,
                o.casavi_id,
                o.reason_code,
                o.attempts,
                o.next_attempt_at,
                o.input_digest,
            )
            if o.protocol_outcome is not None:
                self.protocol.append((run_id, o))
            if o.field_digests is None:
                self.digests.pop((system, o.key), None)
            else:
                self.digests[(system, o.key)] = o.field_digests

    async def by_casavi_id(
        self, system: str, kind: EntityKind, casavi_id: str
    ) -> tuple[RecordKey, LedgerEntry] | None:
        for (s, key), entry in sorted(self.rows.items(), key=lambda item: item[1].id):
            if s == system and key.kind is kind and entry.casavi_id == casavi_id:
                return key, entry
        return None

    async def entry(self, system: str, key: RecordKey) -> LedgerEntry | None:
        return self.rows.get((system, key))

    async def link(
        self, system: str, key: RecordKey, casavi_id: str, fingerprint: str | None
    ) -> None:
        outcome = Outcome(key=key, state="sent", fingerprint=fingerprint, casavi_id=casavi_id)
        await self.save(system, key.kind, [outcome], {}, run_id=None)


class FakePortalStates:
    def __init__(self) -> None:
        self.states: dict[tuple[str, str], PortalStatus] = {}

    async def save(self, system: str, states: Sequence[PortalStatus]) -> None:
        for state in states:
            self.states[(system, state.ticket_number)] = state

    async def one(self, system: str, ticket: TicketNumber) -> TicketPortalView | None:
        found = await self.many(system, [str(ticket)])
        return found[0] if found else None

    async def many(self, system: str, numbers: Sequence[str]) -> list[TicketPortalView]:
        return [
            TicketPortalView(
                **msgspec.structs.asdict(self.states[(system, n)]),
                last_portal_change_at=None,
                last_portal_change=None,
                updated_at=NOW,
            )
            for n in sorted(numbers)
            if (system, n) in self.states
        ]


class FakeRuns:
    """Runs in a dict; ``attempts``/``alive`` per run stand for the claim and heartbeat.
    Their protocol is the ``ledger``'s (a fresh one unless given)."""

    def __init__(self, ledger: FakeLedger | None = None) -> None:
        self.ledger = FakeLedger() if ledger is None else ledger
        self.runs: dict[int, SyncRunInfo] = {}
        self.attempts: dict[int, int] = {}
        self.alive: dict[int, dt.datetime] = {}
        self._ids = itertools.count(1)

    async def request(
        self, system: str, *, trigger: str, requested_by: str | None
    ) -> tuple[SyncRunInfo, bool]:
        for run in self.runs.values():
            if run.system == system and run.status in ("queued", "running"):
                return run, False
        run = SyncRunInfo(
            id=next(self._ids),
            system=system,  # type: ignore[arg-type]
            trigger=trigger,
            scope="full",
            status="queued",
            requested_by=requested_by,
            requested_at=NOW,
            started_at=None,
            finished_at=None,
            sent=0,
            unchanged=0,
            excluded=0,
            errors=0,
            last_error=None,
        )
        self.runs[run.id] = run
        self.attempts[run.id] = 0
        self.alive[run.id] = dt.datetime.now(dt.UTC)
        return run, True

    async def fail(self, run_id: int, error: str) -> None:
        await self.finish(run_id, "failed", RunCounts(), error)

    async def claim(self, run_id: int, *, stale_before: dt.datetime) -> RunClaim | None:
        run = self.runs.get(run_id)
        if run is None:
            return None
        silent = run.status == "running" and self.alive[run_id] < stale_before
        if not (run.status == "queued" or silent):
            return None
        self.runs[run_id] = msgspec.structs.replace(run, status="running", started_at=NOW)
        self.attempts[run_id] += 1
        self.alive[run_id] = dt.datetime.now(dt.UTC)
        return RunClaim(system=run.system, attempt=self.attempts[run_id])

    def _held(self, run_id: int, attempt: int) -> bool:
        return self.attempts.get(run_id) == attempt and self.runs[run_id].status == "running"

    async def heartbeat(self, run_id: int, attempt: int) -> bool:
        if not self._held(run_id, attempt):
            return False
        self.alive[run_id] = dt.datetime.now(dt.UTC)
        return True

    async def release(self, run_id: int, attempt: int, error: str, *, sent: int = 0) -> bool:
        if not self._held(run_id, attempt):
            return False
        self.runs[run_id] = msgspec.structs.replace(
            self.runs[run_id], status="queued", last_error=error, sent=sent
        )
        self.alive[run_id] = dt.datetime.now(dt.UTC)
        return True

    async def finish(
        self,
        run_id: int,
        status: RunStatus,
        counts: RunCounts,
        error: str | None,
        *,
        attempt: int | None = None,
    ) -> bool:
        if attempt is not None and self.attempts.get(run_id) != attempt:
            return False
        self.runs[run_id] = msgspec.structs.replace(
            self.runs[run_id],
            status=status,
            finished_at=NOW,
            sent=counts.sent,
            unchanged=counts.unchanged,
            excluded=counts.excluded,
            errors=counts.errors,
            waiting=counts.waiting,
            last_error=error,
        )
        return True

    async def totals(self, run_id: int) -> RunCounts:
        lines = [o.protocol_outcome for run, o in self.ledger.protocol if run == run_id]
        return RunCounts(
            sent=lines.count("sent") + lines.count("deleted"),
            excluded=lines.count("excluded"),
            errors=lines.count("error"),
        )

    async def written_keys(self, run_id: int) -> set[str]:
        return {o.key.ledger_key for run, o in self.ledger.protocol if run == run_id}

    async def stale(self, before: dt.datetime) -> list[SyncRunInfo]:
        return [
            run
            for run in self.runs.values()
            if run.status in ("queued", "running") and self.alive[run.id] < before
        ]

    async def get(self, run_id: int) -> SyncRunInfo | None:
        return self.runs.get(run_id)

    async def recent(
        self,
        system: str | None,
        limit: int,
        *,
        since: dt.datetime | None = None,
        before: dt.datetime | None = None,
    ) -> list[SyncRunInfo]:
        runs = [
            r
            for r in self.runs.values()
            if (system is None or r.system == system)
            and (since is None or r.requested_at >= since)
            and (before is None or r.requested_at < before)
        ]
        return sorted(runs, key=lambda r: -r.id)[:limit]

    async def entries(
        self,
        run_id: int,
        *,
        outcome: str | None,
        entity: str | None,
        after: int,
        limit: int,
        offset: int = 0,
    ) -> ProtocolPage | None:
        return (
            None if run_id not in self.runs else ProtocolPage(lines=[], total=0, next_cursor=None)
        )

    async def last_scheduled(self, system: str) -> dt.datetime | None:
        times = [
            r.requested_at
            for r in self.runs.values()
            if r.system == system and r.trigger == "schedule"
        ]
        return max(times, default=None)

    async def count_by_status(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for run in self.runs.values():
            counts[(run.system, run.status)] = counts.get((run.system, run.status), 0) + 1
        return counts


TEST_DOCUMENT = ConfigDocument(active=True, casavi=CasaviSettings(base_url="http://127.0.0.1:9"))
TEST_SECRETS = SystemSecrets(
    casavi_api_key="key", casavi_secret="secret", ixhaus_database_url="sqlite+aiosqlite://"
)


def settings_for(
    system: str = "test",
    *,
    version: int = 1,
    config: SyncConfig | None = None,
    document: ConfigDocument = TEST_DOCUMENT,
    secrets: SystemSecrets = TEST_SECRETS,
) -> SystemSettings:
    """A configuration version as ``SqlConfigs`` would give it (``config``: own rules)."""
    return system_settings(system, version, document, secrets, config=config or SyncConfig())  # type: ignore[arg-type]


def context_for(
    source: Any,
    portal: Any,
    *,
    config: SyncConfig | None = None,
    writer: Any = None,
    system: str = "test",
    ledger: Ledger | None = None,
    states: PortalStates | None = None,
) -> SystemContext:
    """A system's context over fakes, without a factory (its stores: ``ledger`` and
    ``states``, fresh ones unless given)."""

    async def close() -> None:
        return None

    return SystemContext(
        settings_for(system, config=config),
        SystemAdapters(source=source, writer=writer, portal=portal, close=close),
        fake_stores(ledger, states).bind(system),
    )


class FakeConfigs:
    """One mutable configuration per system; ``change`` bumps the version like a save."""

    def __init__(self, config: SyncConfig | None = None, *, active: bool = True) -> None:
        document = msgspec.structs.replace(TEST_DOCUMENT, active=active)
        self.settings_by_system: dict[str, SystemSettings] = {
            system: settings_for(system, config=config, document=document)
            for system in ("production", "test")
        }
        self.schedule = Schedule()
        self.audit: list[tuple[str, ConfigChangeView]] = []
        # What the fake iX-Haus "knows" (its type tables); a test sets what it needs.
        self.catalogues: dict[str, IxhausCatalogue] = {}

    def change(
        self,
        system: str,
        *,
        config: SyncConfig | None = None,
        secrets: SystemSecrets | None = None,
        **document: Any,
    ) -> None:
        """A save: ``document`` fields replaced (``casavi=CasaviSettings(...)``)."""
        old = self.settings_by_system[system]
        self.settings_by_system[system] = system_settings(
            old.system,
            old.version + 1,
            msgspec.structs.replace(old.document, **document),
            secrets or old.secrets,
            config=config or old.config,
        )

    async def version(self, system: str) -> int:
        return self.settings_by_system[system].version

    async def settings(self, system: str) -> SystemSettings:
        return self.settings_by_system[system]

    async def schedules(self) -> list[tuple[str, Schedule]]:
        return [(s, self.schedule) for s, v in self.settings_by_system.items() if v.active]

    # -- the administrators' side of the port: validated in the same one place ---------------

    async def document(self, system: str) -> ConfigDocument:
        return self.settings_by_system[system].document

    async def view(self, system: str) -> ConfigView:
        settings = self.settings_by_system[system]
        stored = self._stored_secrets(system)
        return ConfigView(
            **msgspec.structs.asdict(settings.document),
            system=system,  # type: ignore[arg-type]
            version=settings.version,
            updated_at=None,
            secrets=SecretsView(
                **{name: SecretState(is_set=_camel(name) in stored) for name in _SECRET_FIELDS}
            ),
        )

    async def replace(
        self, system: str, body: ConfigInput, actor: str, found: Sequence[tuple[str, str]] = ()
    ) -> ConfigView:
        return await self._save(system, msgspec.to_builtins(body), actor, found)

    async def patch(
        self,
        system: str,
        patch: dict[str, Any],
        actor: str,
        found: Sequence[tuple[str, str]] = (),
    ) -> ConfigView:
        current = msgspec.to_builtins(self.settings_by_system[system].document)
        return await self._save(system, apply_merge_patch(current, patch), actor, found)

    async def changes(self, system: str, limit: int) -> list[ConfigChangeView]:
        return [c for s, c in reversed(self.audit) if s == system][:limit]

    async def secret(self, system: str, api_name: str) -> str | None:
        secrets = msgspec.structs.asdict(self.settings_by_system[system].secrets)
        return secrets.get(_snake(api_name))

    async def catalogue(self, system: str) -> IxhausCatalogue:
        return self.catalogues.get(system) or IxhausCatalogue(
            object_numbers=frozenset(),
            person_types=frozenset(),
            document_types=frozenset(),
            teams=frozenset(),
            users={},
        )

    def _stored_secrets(self, system: str) -> set[str]:
        secrets = msgspec.structs.asdict(self.settings_by_system[system].secrets)
        return {_camel(name) for name, value in secrets.items() if value}

    async def _save(
        self, system: str, raw: dict[str, Any], actor: str, found: Sequence[tuple[str, str]]
    ) -> ConfigView:
        body = checked_input(system, raw, self._stored_secrets(system), found)  # type: ignore[arg-type]
        fields = msgspec.structs.asdict(body)
        given = fields.pop("secrets") or SecretsInput()
        old = self.settings_by_system[system]
        entered = {
            name: value.value
            for name, value in msgspec.structs.asdict(given).items()
            if value is not None and name in msgspec.structs.asdict(old.secrets)
        }
        self.settings_by_system[system] = system_settings(
            old.system,
            old.version + 1,
            ConfigDocument(**fields),
            msgspec.structs.replace(old.secrets, **entered),
            config=old.config,
        )
        self.audit.append((system, ConfigChangeView(actor=actor, changed_at=NOW, fields=[])))
        return await self.view(system)


_SECRET_FIELDS = [f.name for f in msgspec.structs.fields(SecretsView)]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


class FakeQueue:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...], str]] = []

    async def enqueue(self, function: str, *args: Any, job_id: str) -> bool:
        if any(j[2] == job_id for j in self.jobs):
            return False
        self.jobs.append((function, args, job_id))
        return True

    async def ping(self) -> None:
        return None

    async def depth(self) -> int:
        return len(self.jobs)

    async def worker_seen(self) -> bool | None:
        return None

    async def close(self) -> None:
        return None


class FakeSource:
    """iX-Haus as lists of records; every table empty unless a test fills it."""

    def __init__(self, **tables: Sequence[Any]) -> None:
        self.tables = {name: list(rows) for name, rows in tables.items()}

    async def _rows(self, name: str) -> AsyncIterator[Any]:
        for row in self.tables.get(name, ()):
            yield row

    def objects(self) -> AsyncIterator[r.ObjectRecord]:
        return self._rows("objects")

    def units(self) -> AsyncIterator[r.UnitRecord]:
        return self._rows("units")

    def persons(self) -> AsyncIterator[r.PersonRecord]:
        return self._rows("persons")

    def partner_relations(self) -> AsyncIterator[r.PartnerRelation]:
        return self._rows("partner_relations")

    def contracts(self) -> AsyncIterator[r.ContractRecord]:
        return self._rows("contracts")

    def owners(self) -> AsyncIterator[r.OwnerRecord]:
        return self._rows("owners")

    def caretakers(self) -> AsyncIterator[r.CaretakerRecord]:
        return self._rows("caretakers")

    def users(self) -> AsyncIterator[r.UserRecord]:
        return self._rows("users")

    def teams(self) -> AsyncIterator[r.TeamRecord]:
        return self._rows("teams")

    def object_rights(self) -> AsyncIterator[r.ObjectRight]:
        return self._rows("object_rights")

    def object_responsibles(self) -> AsyncIterator[r.ObjectResponsible]:
        return self._rows("object_responsibles")

    def ticket_types(self) -> AsyncIterator[r.TicketTypeRecord]:
        return self._rows("ticket_types")

    def ticket_statuses(self) -> AsyncIterator[r.TicketStatusRecord]:
        return self._rows("ticket_statuses")

    def ticket_priorities(self) -> AsyncIterator[r.TicketPriorityRecord]:
        return self._rows("ticket_priorities")

    def tickets(
        self,
        *,
        modified_since: dt.datetime | None = None,
        object_nos: Sequence[str] | None = None,
    ) -> AsyncIterator[r.TicketRecord]:
        return self._rows("tickets")

    def notes(self) -> AsyncIterator[r.NoteRecord]:
        return self._rows("notes")

    async def ticket(self, number: int) -> r.TicketRecord | None:
        return next((t for t in self.tables.get("tickets", ()) if t.number == number), None)

    async def note(self, note_id: int) -> r.NoteRecord | None:
        return next((n for n in self.tables.get("notes", ()) if n.id == note_id), None)

    def work_orders(self) -> AsyncIterator[r.WorkOrderRecord]:
        return self._rows("work_orders")

    def document_types(self) -> AsyncIterator[r.DocumentTypeRecord]:
        return self._rows("document_types")

    def documents(self) -> AsyncIterator[r.DocumentRecord]:
        return self._rows("documents")


class FakeWriter:
    def __init__(self) -> None:
        self.tickets: dict[str, tuple[TicketNumber, r.InboundTicket]] = {}
        self.notes: dict[str, tuple[int, r.InboundNote]] = {}
        self.documents: dict[str, tuple[int, r.InboundDocument]] = {}
        self.held: dict[int, r.TicketRecord] = {}  # what iX-Haus holds per ticket number
        self.ratings: dict[int, tuple[int, str | None, dt.datetime]] = {}

    async def insert_ticket(self, ticket: r.InboundTicket) -> TicketNumber:
        if ticket.source_ref not in self.tickets:
            number = TicketNumber(len(self.tickets) + 1)
            self.tickets[ticket.source_ref] = (number, ticket)
            self.held[number] = r.TicketRecord(
                number=number,
                type_no=ticket.type_no,
                subject=ticket.subject,
                object_no=ticket.object_no,
                reported_at=ticket.reported_at,
                description=ticket.description,
                unit_no=ticket.unit_no,
                reporter_person_no=ticket.reporter_person_no,
                source_ref=ticket.source_ref,
            )
        return self.tickets[ticket.source_ref][0]

    async def insert_ticket_document(self, document: r.InboundDocument) -> int:
        if document.source_ref not in self.documents:
            self.documents[document.source_ref] = (len(self.documents) + 1, document)
        return self.documents[document.source_ref][0]

    async def ticket(self, number: int) -> r.TicketRecord | None:
        return self.held.get(number)

    async def update_ticket_fields(self, number: int, fields: dict[str, str | None]) -> None:
        from app.domain.conflicts import TWO_WAY_FIELDS

        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name in ("due_from", "due_until") and value:
                values[TWO_WAY_FIELDS[name]] = dt.date.fromisoformat(value)
            else:
                values[TWO_WAY_FIELDS[name]] = value
        self.held[number] = msgspec.structs.replace(self.held[number], **values)

    async def set_rating(
        self, number: int, stars: int, comment: str | None, at: dt.datetime
    ) -> None:
        self.ratings[number] = (stars, comment, at)

    async def insert_note(self, note: r.InboundNote) -> int:
        if note.source_ref not in self.notes:
            self.notes[note.source_ref] = (len(self.notes) + 1, note)
        return self.notes[note.source_ref][0]

    def _note(self, note_id: int) -> tuple[str, r.InboundNote] | None:
        for ref, (number, note) in self.notes.items():
            if number == note_id:
                return ref, note
        return None

    async def note(self, note_id: int) -> r.NoteRecord | None:
        found = self._note(note_id)
        if found is None:
            return None
        _, note = found
        return r.NoteRecord(
            id=note_id,
            ticket_no=note.ticket_no,
            created_at=note.created_at,
            content=note.content,
            author_user_no=note.author_user_no,
            source_ref=note.source_ref,
        )

    async def update_note(self, note_id: int, content: str) -> None:
        found = self._note(note_id)
        if found is not None:
            ref, note = found
            self.notes[ref] = (note_id, msgspec.structs.replace(note, content=content))


class CountingAdapters:
    """An adapter factory over fakes that counts what it built and closed."""

    def __init__(self, source: FakeSource | None = None, portal: FakePortal | None = None):
        self.source = source or FakeSource()
        self.portal = portal or FakePortal()
        self.built: list[int] = []
        self.closed: list[int] = []

    async def __call__(self, settings: SystemSettings) -> SystemAdapters:
        self.built.append(settings.version)

        async def close() -> None:
            self.closed.append(settings.version)

        return SystemAdapters(
            source=self.source, writer=FakeWriter(), portal=self.portal, close=close
        )


class FakeNoteLinks:
    def __init__(self) -> None:
        self.links: dict[str, list[NoteLink]] = {}

    async def by_ixhaus_note(self, system: str, note_id: str) -> NoteLink | None:
        return next((x for x in self.links.get(system, []) if x.ixhaus_note_id == note_id), None)

    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None:
        links = self.links.get(system, [])
        return next((x for x in links if x.casavi_message_id == message_id), None)

    async def by_casavi_messages(
        self, system: str, message_ids: Sequence[str]
    ) -> dict[str, NoteLink]:
        wanted = set(message_ids)
        return {
            x.casavi_message_id: x
            for x in self.links.get(system, [])
            if x.casavi_message_id is not None and x.casavi_message_id in wanted
        }

    async def record(self, system: str, link: NoteLink) -> bool:
        if (link.ixhaus_note_id and await self.by_ixhaus_note(system, link.ixhaus_note_id)) or (
            link.casavi_message_id and await self.by_casavi_message(system, link.casavi_message_id)
        ):
            return False
        self.links.setdefault(system, []).append(link)
        return True

    async def record_many(self, system: str, links: Sequence[NoteLink]) -> dict[str, NoteLink]:
        for link in links:
            await self.record(system, link)
        wanted = {y.ixhaus_note_id for y in links}
        return {
            x.ixhaus_note_id: x
            for x in self.links.get(system, [])
            if x.ixhaus_note_id and x.ixhaus_note_id in wanted
        }


class FakeConflicts:
    def __init__(self) -> None:
        self.bases: dict[tuple[str, str], dict[str, str | None]] = {}
        self.rows: dict[int, ConflictRecord] = {}

    async def base(self, system: str, ticket: TicketNumber) -> dict[str, str | None]:
        return dict(self.bases.get((system, str(ticket)), {}))  # kept as text, as in SQL

    async def set_base(
        self, system: str, ticket: TicketNumber, fields: dict[str, str | None]
    ) -> None:
        self.bases.setdefault((system, str(ticket)), {}).update(fields)

    async def add(self, system: str, conflict: NewConflict) -> int:
        new_id = len(self.rows) + 1
        self.rows[new_id] = ConflictRecord(
            id=new_id,
            system=system,
            resolved_value=None,
            resolved_by="policy" if conflict.resolution else None,
            resolved_at=NOW if conflict.resolution else None,
            created_at=NOW,
            **msgspec.structs.asdict(conflict),
        )
        return new_id

    async def get(self, system: str, conflict_id: int) -> ConflictRecord | None:
        row = self.rows.get(conflict_id)
        return row if row is not None and row.system == system else None

    async def list(
        self, system: str, *, open_only: bool, limit: int, after_id: int = 0
    ) -> list[ConflictRecord]:
        rows = [
            r
            for i, r in sorted(self.rows.items())
            if r.system == system and i > after_id and not (open_only and r.resolution)
        ]
        return rows[:limit]

    async def resolve(
        self, system: str, conflict_id: int, *, side: ConflictSide, value: str | None, actor: str
    ) -> ConflictRecord | None:
        row = await self.get(system, conflict_id)
        if row is not None and row.resolution is None:
            self.rows[conflict_id] = msgspec.structs.replace(
                row, resolution=side, resolved_value=value, resolved_by=actor, resolved_at=NOW
            )
        return await self.get(system, conflict_id)


class FakePortalActivity:
    def __init__(self) -> None:
        self.activity: dict[tuple[str, str], tuple[dt.datetime, str]] = {}
        self.resets: list[tuple[str, str]] = []

    async def record(self, system: str, ticket: TicketNumber, at: dt.datetime, what: str) -> None:
        ticket_number = str(ticket)  # kept as text, as in SQL
        old = self.activity.get((system, ticket_number))
        if old is None or old[0] <= at:
            self.activity[(system, ticket_number)] = (at, what)

    async def reset(self, system: str, ticket: TicketNumber, at: dt.datetime) -> bool:
        self.resets.append((system, str(ticket)))
        return self.activity.pop((system, str(ticket)), None) is not None


class FakeCasaviTickets:
    """casavi's ticket side as dicts; ``changes`` records the fields the gateway set."""

    def __init__(self) -> None:
        self.tickets: dict[str, CasaviTicketView] = {}
        self.messages: dict[str, CasaviMessageView] = {}
        self.documents: dict[str, CasaviAttachmentView] = {}
        self.changes: list[tuple[str, dict[str, str | None]]] = []
        self.clock: dt.datetime | None = None
        self.names: dict[str, str] = {}  # the names casavi shows, by contact or staff id

    async def changed_since(self, when: dt.datetime) -> AsyncIterator[CasaviTicketView]:
        for ticket in sorted(self.tickets.values(), key=lambda t: t.modified_at):
            if ticket.modified_at > when:
                yield ticket

    def server_now(self) -> dt.datetime | None:
        return self.clock  # casavi's clock (None: unknown)

    async def ticket(self, ticket_id: str) -> CasaviTicketView | None:
        return self.tickets.get(ticket_id)

    async def message(self, ticket_id: str, message_id: str) -> CasaviMessageView | None:
        found = self.messages.get(message_id)
        return found if found is not None and found.ticket_id == ticket_id else None

    async def public_messages(self, ticket_id: str) -> AsyncIterator[CasaviMessageView]:
        for message in self.messages.values():
            if message.ticket_id == ticket_id and message.visibility == "public":
                yield message

    async def attachment(self, document_id: str) -> CasaviAttachmentView | None:
        return self.documents.get(document_id)

    async def attachments(self, ticket_id: str) -> AsyncIterator[CasaviAttachmentView]:
        for document in self.documents.values():
            if document.ticket_id == ticket_id:
                yield document

    async def change_fields(self, ticket_id: str, fields: dict[str, str | None]) -> None:
        self.changes.append((ticket_id, dict(fields)))

    async def author_name(self, author_type: str, author_id: str) -> str | None:
        return self.names.get(author_id)


class FakeInbox:
    """The inbox as a list; leases as a dict (no expiry: tests release what they claim)."""

    def __init__(self) -> None:
        self.events: dict[int, InboxEvent] = {}
        self.leases: dict[tuple[str, str], str] = {}
        self.cursors: dict[str, tuple[dt.datetime | None, dt.datetime | None]] = {}
        self._ids = itertools.count(1)

    async def add(
        self, system: str, events: Sequence[NewInboxEvent], *, done: bool = False
    ) -> list[NewInboxEvent]:
        known = {(e.system, e.external_id) for e in self.events.values()}
        stored = []
        for new in events:
            if (system, new.external_id) in known:
                continue
            event_id = next(self._ids)
            self.events[event_id] = InboxEvent(
                id=event_id,
                system=system,
                external_id=new.external_id,
                event_type=new.event_type,
                ticket_ref=new.ticket_ref,
                occurred_at=new.occurred_at,
                received_at=NOW,
                payload=new.payload,
                status="done" if done else "received",
                attempts=0,
                processed_at=NOW if done else None,
                next_attempt_at=None,
                last_error=None,
            )
            known.add((system, new.external_id))
            stored.append(new)
        return stored

    def _set(self, event_id: int, **values: Any) -> None:
        self.events[event_id] = msgspec.structs.replace(self.events[event_id], **values)

    async def pending(self, system: str, ticket_ref: str) -> list[InboxEvent]:
        found = [
            e
            for e in self.events.values()
            if e.system == system and e.ticket_ref == ticket_ref and e.status == "received"
        ]
        return sorted(found, key=lambda e: (e.occurred_at or NOW, e.id))

    async def claim(self, system: str, ticket_ref: str, holder: str, seconds: float) -> bool:
        current = self.leases.get((system, ticket_ref))
        if current not in (None, holder):
            return False
        self.leases[(system, ticket_ref)] = holder
        return True

    async def release(self, system: str, ticket_ref: str, holder: str) -> None:
        if self.leases.get((system, ticket_ref)) == holder:
            del self.leases[(system, ticket_ref)]

    async def done(self, event_id: int) -> None:
        attempts = self.events[event_id].attempts + 1
        self._set(event_id, status="done", processed_at=NOW, attempts=attempts, last_error=None)

    async def park(self, event_ids: Sequence[int], reason: str, retry_at: dt.datetime) -> None:
        for event_id in event_ids:
            event = self.events[event_id]
            if event.status == "received":
                self._set(
                    event_id,
                    status="parked",
                    attempts=event.attempts + 1,
                    last_error=reason,
                    next_attempt_at=retry_at,
                )

    async def unpark(self, system: str, ticket_ref: str) -> int:
        parked = [
            e.id
            for e in self.events.values()
            if e.system == system and e.ticket_ref == ticket_ref and e.status == "parked"
        ]
        for event_id in parked:
            self._set(event_id, status="received", next_attempt_at=None)
        return len(parked)

    async def get(self, system: str, event_id: int) -> InboxEvent | None:
        event = self.events.get(event_id)
        return event if event is not None and event.system == system else None

    async def list(
        self, system: str, *, status: str | None, limit: int, after_id: int = 0
    ) -> list[InboxEvent]:
        rows = [
            e
            for i, e in sorted(self.events.items())
            if e.system == system
            and i > after_id
            and status in (None, e.status)
            and e.event_type != OWN_WRITE_EVENT
        ]
        return rows[:limit]

    async def retry(self, system: str, event_id: int) -> InboxEvent | None:
        event = await self.get(system, event_id)
        if event is not None and event.status == "parked":
            self._set(event_id, status="received", next_attempt_at=None)
        return await self.get(system, event_id)

    async def discard(self, system: str, event_id: int) -> InboxEvent | None:
        event = await self.get(system, event_id)
        if event is not None and event.status in ("parked", "received"):
            self._set(event_id, status="discarded", processed_at=NOW)
        return await self.get(system, event_id)

    async def due(
        self, now: dt.datetime, older_than: dt.datetime
    ) -> builtins.list[tuple[str, str]]:
        for e in builtins.list(self.events.values()):
            if e.status == "parked" and e.next_attempt_at is not None and e.next_attempt_at <= now:
                self._set(e.id, status="received", next_attempt_at=None)
        return sorted(
            {
                (e.system, e.ticket_ref)
                for e in self.events.values()
                if e.status == "received" and e.ticket_ref and e.received_at <= older_than
            }
        )

    async def purge(self, system: str, before: dt.datetime) -> int:
        old = [
            i
            for i, e in self.events.items()
            if e.system == system and e.status in ("done", "discarded") and e.received_at < before
        ]
        for event_id in old:
            del self.events[event_id]
        return len(old)

    async def backlog(self, system: str) -> tuple[int, dt.datetime | None]:
        mine = [e for e in self.events.values() if e.system == system]
        waiting = [e.received_at for e in mine if e.status == "received"]
        return sum(e.status == "parked" for e in mine), min(waiting, default=None)

    async def waiting(self, system: str) -> tuple[int, int, dt.datetime | None]:
        mine = [e for e in self.events.values() if e.system == system]
        received = [e.received_at for e in mine if e.status == "received"]
        parked = sum(e.status == "parked" for e in mine)
        return len(received), parked, min(received, default=None)

    async def cursor(self, system: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        return self.cursors.get(system, (None, None))

    async def set_cursor(
        self, system: str, modified_after: dt.datetime | None, polled_at: dt.datetime
    ) -> None:
        self.cursors[system] = (modified_after, polled_at)


class FakeArchive:
    def __init__(self) -> None:
        self.kept: list[tuple[str, int | None, RecordKey, bytes]] = []
        self.scrubbed: list[tuple[str, RecordKey]] = []

    async def keep(self, system: str, run_id: int | None, key: RecordKey, payload: bytes) -> None:
        self.kept.append((system, run_id, key, payload))

    async def scrub(self, system: str, key: RecordKey) -> int:
        self.scrubbed.append((system, key))
        before = len(self.kept)
        self.kept = [k for k in self.kept if (k[0], k[2]) != (system, key)]
        return before - len(self.kept)

    async def purge(self, system: str, before: dt.datetime, *, batch: int = 1000) -> int:
        return 0


# -- the stores and services of a flow, over the fakes above -----------------------------------
def fake_stores(
    ledger: Ledger | None = None,
    states: PortalStates | None = None,
    two_way: TwoWay | None = None,
) -> Stores:
    """Stores for ``SystemContexts`` (a fresh ledger and fresh ticket states unless given)."""
    return Stores(
        FakeLedger() if ledger is None else ledger,
        FakePortalStates() if states is None else states,
        two_way,
    )


def fake_contexts(
    configs: Configs,
    adapters: AdapterFactory,
    ledger: Ledger | None = None,
    states: PortalStates | None = None,
    two_way: TwoWay | None = None,
) -> SystemContexts:
    return SystemContexts(configs, adapters, fake_stores(ledger, states, two_way))


def fake_services(
    contexts: SystemContexts,
    *,
    runs: Runs | None = None,
    queue: JobQueue | None = None,
    policy: RunPolicy | None = None,
    configs: Configs | None = None,
    clock: Callable[[], dt.datetime] = lambda: NOW,
    inbox: FakeInbox | None = None,
) -> Services:
    """What a composition root hands the flows, over ``contexts`` (and its stores) and fakes."""
    return Services(
        runs=FakeRuns() if runs is None else runs,
        configs=FakeConfigs() if configs is None else configs,
        contexts=contexts,
        queue=FakeQueue() if queue is None else queue,
        clock=clock,
        inbox=FakeInbox() if inbox is None else inbox,
        policy=RunPolicy() if policy is None else policy,
    )
