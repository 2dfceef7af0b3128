"""Decision sources: stream iX-Haus records and apply the rules of domain.md, entity by entity.

Each source yields one decision per record (transfer, delete or exclude). Lookups a rule needs
(contracts per person, rights per object, ticket types) are small and loaded first; the big
tables are streamed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from app.domain.config import SyncConfig, number_order
from app.domain.decisions import Decision, Exclude, Transfer
from app.domain.eligibility.master_data import (
    decide_caretaker,
    decide_contract,
    decide_object,
    decide_object_role,
    decide_owner,
    decide_team,
    decide_unit,
    decide_user,
    merge_contacts,
    user_assignments,
)
from app.domain.eligibility.persons import decide_person, partner_contracts
from app.domain.eligibility.tickets import (
    decide_commissioning_note,
    decide_priority,
    decide_status,
    decide_ticket,
    decide_ticket_type,
    ticket_key,
)
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PersonPayload, PortalNote, PortalTicket
from app.domain.reasons import Reason
from app.domain.records import (
    ContractRecord,
    PartnerRelation,
    PersonRecord,
    TicketRecord,
    WorkOrderRecord,
)
from app.sync.ports import IxhausSource


async def _group(stream: AsyncIterator[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    async for item in stream:
        grouped[getattr(item, key)].append(item)
    return grouped


async def object_decisions(
    reader: IxhausSource, config: SyncConfig
) -> AsyncIterator[Decision[Any]]:
    rights = await _group(reader.object_rights(), "object_no")
    responsibles = await _group(reader.object_responsibles(), "object_no")
    async for obj in reader.objects():
        yield decide_object(
            obj, config, rights.get(obj.number, ()), responsibles.get(obj.number, ())
        )


async def unit_decisions(
    reader: IxhausSource, config: SyncConfig, today: date, all_contracts: Sequence[ContractRecord]
) -> AsyncIterator[Decision[Any]]:
    contracts: dict[tuple[str, str], list[ContractRecord]] = defaultdict(list)
    for contract in all_contracts:
        contracts[(contract.object_no, contract.unit_no)].append(contract)
    async for unit in reader.units():
        yield decide_unit(unit, config, today, contracts.get((unit.object_no, unit.number), ()))


async def person_decisions(
    reader: IxhausSource, config: SyncConfig, today: date, all_contracts: Sequence[ContractRecord]
) -> AsyncIterator[Decision[Any]]:
    grouped: dict[str, list[ContractRecord]] = defaultdict(list)
    for contract in all_contracts:
        grouped[contract.person_no].append(contract)
    by_person = {k: tuple(v) for k, v in grouped.items()}
    # P5: relations indexed by the partner, so each person looks at its own relations only.
    relations: dict[str, list[PartnerRelation]] = await _group(
        reader.partner_relations(), "partner_no"
    )
    # The persons table is read once: a partner whose main person comes later in the stream
    # waits until the main person's P5 flag has been seen (at the latest, the stream's end).
    main_persons = {rel.person_no for rels in relations.values() for rel in rels}
    partner_managed: dict[str, bool] = {}
    waiting: list[PersonRecord] = []

    def decide(person: PersonRecord) -> Decision[Any]:
        own = by_person.get(person.number, ())
        rels = relations.get(person.number)  # most persons have none (P5)
        inherited = (
            partner_contracts(person.number, rels, partner_managed, by_person) if rels else ()
        )
        decision = decide_person(person, own, config, today, inherited)
        if not isinstance(decision, Transfer):
            return decision
        contracts = tuple(
            d.record
            for c in (*own, *inherited)
            if isinstance(d := decide_contract(c, config, today), Transfer)
        )
        return Transfer(
            key=decision.key,
            record=PersonPayload(person=decision.record, contracts=contracts),
            note=decision.note,
        )

    async for person in reader.persons():
        if person.number in main_persons:
            partner_managed[person.number] = person.partner_managed
        mains = relations.get(person.number)
        if mains and any(rel.person_no not in partner_managed for rel in mains):
            waiting.append(person)
        else:
            yield decide(person)
    for person in waiting:
        # A main person iX-Haus does not list counts as not partner-managed (as before).
        yield decide(person)


async def contact_decisions(
    reader: IxhausSource, config: SyncConfig, kind: EntityKind
) -> AsyncIterator[Decision[Any]]:
    """M1 (owners) / M2 (caretakers): one contact per person over its rows per object."""
    if kind is EntityKind.OWNER:
        rows: dict[str, list[Any]] = await _group(reader.owners(), "number")
        decide: Any = decide_owner
    else:
        rows = await _group(reader.caretakers(), "number")
        decide = decide_caretaker
    for number in sorted(rows):
        # By object number, so the contact's fields come from the same row on every run.
        ordered = sorted(rows[number], key=lambda row: number_order(row.object_no))
        yield merge_contacts([decide(row, config) for row in ordered])


async def object_role_decisions(reader: IxhausSource) -> AsyncIterator[Decision[Any]]:
    """M4: the casavi roles the object rights and persons responsible are shown under."""
    roles: dict[RecordKey, Decision[Any]] = {}
    async for right in reader.object_rights():
        decision = decide_object_role("right", right.right)
        roles.setdefault(decision.key, decision)
    async for resp in reader.object_responsibles():
        decision = decide_object_role("responsible", resp.role)
        roles.setdefault(decision.key, decision)
    for key in sorted(roles):
        yield roles[key]


async def user_decisions(reader: IxhausSource, config: SyncConfig) -> AsyncIterator[Decision[Any]]:
    """M3 with M4 (object rights, persons responsible) and M7 (team membership)."""
    rights = await _group(reader.object_rights(), "user_no")
    responsibles = await _group(reader.object_responsibles(), "user_no")
    teams_of: dict[str, list[str]] = defaultdict(list)
    async for team in reader.teams():
        if isinstance(decide_team(team, config), Transfer):  # only teams casavi gets (C8)
            for user_no in team.member_user_nos:
                teams_of[user_no].append(team.number)
    async for user in reader.users():
        assignments = user_assignments(
            config,
            rights.get(user.number, ()),
            responsibles.get(user.number, ()),
            teams_of.get(user.number, ()),
        )
        yield decide_user(user, assignments)


async def team_decisions(reader: IxhausSource, config: SyncConfig) -> AsyncIterator[Decision[Any]]:
    async for team in reader.teams():
        yield decide_team(team, config)  # M7, C8


async def reference_decisions(
    reader: IxhausSource, kind: EntityKind
) -> AsyncIterator[Decision[Any]]:
    """T9: ticket types (lock types excluded, T4), statuses and priorities."""
    if kind is EntityKind.TICKET_TYPE:
        async for ticket_type in reader.ticket_types():
            yield decide_ticket_type(ticket_type)
    elif kind is EntityKind.TICKET_STATUS:
        async for status in reader.ticket_statuses():
            yield decide_status(status)
    else:
        async for priority in reader.ticket_priorities():
            yield decide_priority(priority)


async def ticket_decisions(
    reader: IxhausSource,
    config: SyncConfig,
    now: datetime,
    *,
    ids: IdentityMap,
    work_orders: WorkOrders | None = None,
) -> AsyncIterator[Decision[Any]]:
    """Rule T1 per ticket: one never sent goes out only while open; one sent before also
    when it is closed (so the portal learns that), within the C3 time window.

    A ticket a tenant opened in casavi keeps casavi's id: iX-Haus holds it in ``source_ref``,
    and the identity map adopts it (so even a gateway that lost its state updates the
    tenant's ticket rather than creating a second one). A reference to a record casavi does
    not hold (a moved-out reporter, an inactive user, a disabled team) is left out rather
    than sent dangling (``ticket_references``). ``work_orders`` keeps the tickets T8 needs.
    """
    types = {t.number: t async for t in reader.ticket_types()}
    async for ticket in reader.tickets():
        if work_orders is not None:
            work_orders.see(ticket)
        key = ticket_key(ticket.number)
        if ticket.source_ref and not ids.holds(key):
            ids.adopt(key, ticket.source_ref)
        first = not ids.holds(key)
        decision = decide_ticket(ticket, types.get(ticket.type_no), config, now, first_export=first)
        if isinstance(decision, Transfer):
            decision = Transfer(
                key=decision.key,
                record=ticket_references(decision.record, ids),
                note=decision.note,
            )
        yield decision


class WorkOrders:
    """T8: the work orders by ticket, and their tickets - caught while the ticket stage
    streams the tickets by, so a run reads the tickets table once."""

    def __init__(self, by_ticket: dict[int, list[WorkOrderRecord]]) -> None:
        self.by_ticket = by_ticket
        self.tickets: dict[int, TicketRecord] = {}

    def see(self, ticket: TicketRecord) -> None:
        if ticket.number in self.by_ticket:
            self.tickets[ticket.number] = ticket


async def load_work_orders(reader: IxhausSource) -> WorkOrders:
    return WorkOrders(await _group(reader.work_orders(), "ticket_no"))


async def work_order_note_decisions(
    reader: IxhausSource,
    config: SyncConfig,
    work_orders: WorkOrders,
    *,
    ids: IdentityMap,
) -> AsyncIterator[Decision[Any]]:
    """T8: the commissioning note of each work order, as a message on its casavi ticket (a
    ticket whose state is unsettled keeps the note waiting, ``ParentUnsettled``)."""
    types = {t.number: t async for t in reader.ticket_types()}
    for ticket_no in sorted(work_orders.by_ticket):
        ticket = work_orders.tickets.get(ticket_no)
        for order in work_orders.by_ticket[ticket_no]:
            if ticket is None:  # an order of a ticket iX-Haus no longer lists
                key = RecordKey.of(EntityKind.WORK_ORDER_NOTE, order.number)
                yield Exclude(key=key, reason=Reason.NOTE_TICKET_NOT_TRANSFERRED)
                continue
            decision = decide_commissioning_note(
                ticket,
                types.get(ticket.type_no),
                order,
                ticket_in_portal=ids.named(ticket_key(ticket.number)),
                tz=config.timezone,
            )
            if isinstance(decision, Transfer):
                decision = _known_author(decision, ids)
            yield decision


def _known_author(note: Transfer[PortalNote], ids: IdentityMap) -> Transfer[PortalNote]:
    author = note.record.author_user_no
    if author is None or ids.holds(RecordKey.of(EntityKind.USER, author)):
        return note
    # casavi needs a staff author it knows: the portal adapter signs with the ticket user (C11).
    record = msgspec.structs.replace(note.record, author_user_no=None)
    return Transfer(key=note.key, record=record, note=note.note)


def ticket_references(ticket: PortalTicket, ids: IdentityMap) -> PortalTicket:
    """The ticket with the references casavi holds (or whose state is unsettled: the ticket
    then waits for them rather than lose them)."""

    def known(kind: EntityKind, number: str | None) -> str | None:
        return number if number and ids.named(RecordKey.of(kind, number)) else None

    unit_known = ticket.unit_no and ids.named(RecordKey.unit(ticket.object_no, ticket.unit_no))
    return msgspec.structs.replace(
        ticket,
        reporter_person_no=known(EntityKind.PERSON, ticket.reporter_person_no),
        responsible_user_no=known(EntityKind.USER, ticket.responsible_user_no),
        team_no=known(EntityKind.TEAM, ticket.team_no),
        unit_no=ticket.unit_no if unit_known else None,
    )
