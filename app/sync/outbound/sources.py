"""Decision sources: stream iX-Haus records and apply the rules of domain.md, entity by entity.

Each source yields one decision per record (transfer, delete or exclude). Lookups a rule needs
(contracts per person, rights per object, ticket types) are small and loaded first; the big
tables are streamed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any

import msgspec

from app.domain.calendar import start_of_previous_year
from app.domain.config import SyncConfig, number_order
from app.domain.decisions import Decision, Exclude, Transfer
from app.domain.eligibility.master_data import (
    decide_caretaker,
    decide_object,
    decide_object_role,
    decide_owner,
    decide_team,
    decide_user,
    merge_contacts,
    user_assignments,
)
from app.domain.eligibility.tickets import (
    decide_commissioning_note,
    decide_priority,
    decide_status,
    decide_ticket,
    decide_ticket_type,
    ticket_key,
)
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, ledger_key_of
from app.domain.portal import PortalNote, PortalTicket
from app.domain.reasons import Reason
from app.domain.records import (
    TicketRecord,
    TicketTypeRecord,
    WorkOrderRecord,
)
from app.sync.outbound.digests import Digested, InputDigests
from app.sync.ports import IxhausSource


async def group(stream: AsyncIterator[Any], key: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    async for item in stream:
        grouped[getattr(item, key)].append(item)
    return grouped


async def object_decisions(
    reader: IxhausSource, config: SyncConfig
) -> AsyncIterator[Decision[Any]]:
    rights = await group(reader.object_rights(), "object_no")
    responsibles = await group(reader.object_responsibles(), "object_no")
    async for obj in reader.objects():
        yield decide_object(
            obj, config, rights.get(obj.number, ()), responsibles.get(obj.number, ())
        )


async def contact_decisions(
    reader: IxhausSource, config: SyncConfig, kind: EntityKind
) -> AsyncIterator[Decision[Any]]:
    """M1 (owners) / M2 (caretakers): one contact per person over its rows per object."""
    if kind is EntityKind.OWNER:
        rows: dict[str, list[Any]] = await group(reader.owners(), "number")
        decide: Any = decide_owner
    else:
        rows = await group(reader.caretakers(), "number")
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
    rights = await group(reader.object_rights(), "user_no")
    responsibles = await group(reader.object_responsibles(), "user_no")
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
) -> AsyncIterator[Decision[Any] | Digested]:
    """Rule T1 per ticket: one never sent goes out only while open; one sent before also
    when it is closed (so the portal learns that), within the C3 time window.

    A ticket a tenant opened in casavi keeps casavi's id: iX-Haus holds it in ``source_ref``,
    and the identity map adopts it (so even a gateway that lost its state updates the
    tenant's ticket rather than creating a second one). A reference to a record casavi does
    not hold (a moved-out reporter, an inactive user, a disabled team) is left out rather
    than sent dangling (``ticket_references``). ``work_orders`` keeps the tickets T8 needs.

    The digest covers the ticket, its type, whether casavi holds it (T1's first export) and
    each reference it names, and the C3 boundary. Bulletin-board tickets are decided at once:
    the notes stage watches their decisions (``TicketKinds``).
    """
    types = {t.number: t async for t in reader.ticket_types()}
    digests = InputDigests("ticket", config, start_of_previous_year(now, config.timezone))
    async for ticket in reader.tickets():
        if work_orders is not None:
            work_orders.see(ticket)
        key = ticket_key(ticket.number)
        if ticket.source_ref and not ids.holds(key):
            ids.adopt(key, ticket.source_ref)
        first = not ids.holds(key)
        ticket_type = types.get(ticket.type_no)
        decide = partial(_decide_ticket, ticket, ticket_type, config, now, ids, first)
        if ticket_type is not None and ticket_type.portal_mode == "bulletin_board":
            yield decide()
            continue
        named = _named_references(ticket, ids)
        digest = digests(ticket, ticket_type, first, named)
        yield Digested(ledger_key_of(EntityKind.TICKET, str(ticket.number)), digest, decide)


def _decide_ticket(
    ticket: TicketRecord,
    ticket_type: TicketTypeRecord | None,
    config: SyncConfig,
    now: datetime,
    ids: IdentityMap,
    first: bool,
) -> Decision[Any]:
    decision = decide_ticket(ticket, ticket_type, config, now, first_export=first)
    if isinstance(decision, Transfer):
        return Transfer(
            key=decision.key,
            record=ticket_references(decision.record, ids),
            note=decision.note,
        )
    return decision


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
    return WorkOrders(await group(reader.work_orders(), "ticket_no"))


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


def _known(ids: IdentityMap, kind: EntityKind, number: str | None) -> bool:
    return ids.named(RecordKey.of(kind, number)) if number else False


def _unit_known(ticket: TicketRecord | PortalTicket, ids: IdentityMap) -> bool:
    unit_no = ticket.unit_no
    return ids.named(RecordKey.unit(ticket.object_no, unit_no)) if unit_no else False


def _named_references(ticket: TicketRecord, ids: IdentityMap) -> int:
    """Which of its references ``ticket_references`` keeps, as bits (the ticket's digest),
    asked by ledger key (a key ``RecordKey`` refuses is named by nobody)."""
    named = ids.names_ledger_key
    person, user, team, unit = (
        ticket.reporter_person_no,
        ticket.responsible_user_no,
        ticket.team_no,
        ticket.unit_no,
    )
    return (
        bool(person and named(ledger_key_of(EntityKind.PERSON, person)))
        | bool(user and named(ledger_key_of(EntityKind.USER, user))) << 1
        | bool(team and named(ledger_key_of(EntityKind.TEAM, team))) << 2
        | bool(unit and named(ledger_key_of(EntityKind.UNIT, ticket.object_no, unit))) << 3
    )


def ticket_references(ticket: PortalTicket, ids: IdentityMap) -> PortalTicket:
    """The ticket with the references casavi holds (or whose state is unsettled: the ticket
    then waits for them rather than lose them)."""

    def known(kind: EntityKind, number: str | None) -> str | None:
        return number if _known(ids, kind, number) else None

    return msgspec.structs.replace(
        ticket,
        reporter_person_no=known(EntityKind.PERSON, ticket.reporter_person_no),
        responsible_user_no=known(EntityKind.USER, ticket.responsible_user_no),
        team_no=known(EntityKind.TEAM, ticket.team_no),
        unit_no=ticket.unit_no if _unit_known(ticket, ids) else None,
    )
