"""The inbound handlers over fakes: what one casavi event does to iX-Haus."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest

from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.inbound.errors import Park
from app.sync.inbound.handlers import Handlers, retry_delay_seconds
from app.sync.ports import (
    CasaviMessageView,
    CasaviTicketView,
    InboundSettings,
    NoteLink,
    Outcome,
)
from app.sync.ports.events import POLL_EVENT, InboundEvent, decode_event
from app.sync.stores import TwoWay
from tests.fakes import (
    NOW,
    FakeCasaviTickets,
    FakeConflicts,
    FakeLedger,
    FakeNoteLinks,
    FakePortalActivity,
    FakeWriter,
)


async def _no_fingerprint(number: int) -> str | None:
    return None


class World:
    def __init__(self, policies: dict[str, str] | None = None) -> None:
        self.casavi = FakeCasaviTickets()
        self.writer = FakeWriter()
        self.ledger = FakeLedger()
        self.links = FakeNoteLinks()
        self.conflicts = FakeConflicts()
        self.activity = FakePortalActivity()
        two_way = TwoWay(self.links, self.conflicts, self.activity, self.ledger).bind("test")
        self.handlers = Handlers(
            casavi=self.casavi,
            writer=self.writer,
            links=two_way.links,
            note_links=two_way.note_links,
            conflicts=two_way.conflicts,
            activity=two_way.portal_activity,
            settings=InboundSettings(conflict_policies=policies or {}),
            fingerprint=_no_fingerprint,
        )

    async def sent(self, key: RecordKey) -> None:
        outcome = Outcome(key=key, state="sent", casavi_id=key.reference_id)
        await self.ledger.save("test", key.kind, [outcome], {}, run_id=None)

    async def master_data(self) -> None:
        for key in (
            RecordKey.of(EntityKind.OBJECT, "1001"),
            RecordKey.unit("1001", "05"),
            RecordKey.person("P7"),
            RecordKey.of(EntityKind.TICKET_TYPE, "T1"),
            RecordKey.of(EntityKind.TICKET_STATUS, "S1"),
            RecordKey.of(EntityKind.TICKET_STATUS, "S2"),
        ):
            await self.sent(key)

    def ticket(self, **changes: object) -> CasaviTicketView:
        fields: dict[str, object] = {
            "id": "cv-1",
            "origin": "tenant",
            "ticket_type_id": "T1",
            "subject": "Tür klemmt",
            "property_id": "1001",
            "unit_id": "1001.05",
            "reporter_contact_id": "P7",
            "modified_at": NOW,
            "created_at": NOW,
            **changes,
        }
        view = CasaviTicketView(**fields)  # type: ignore[arg-type]
        self.casavi.tickets[view.id] = view
        return view


def _event(kind: str, **data: str) -> InboundEvent:
    """The event as the inbox stores it, decoded as the per-ticket job decodes it."""
    if kind == POLL_EVENT:
        return decode_event(kind, {"ticketId": "cv-1", "modifiedAt": NOW})
    envelope = {"id": "evt", "occurredAt": NOW, "data": {"ticketId": "cv-1", **data}}
    return decode_event(kind, envelope)


async def test_a_tenant_ticket_is_created_once_with_resolved_references() -> None:
    # rule T10: object, unit, reporter and type through the ledger's links.
    world = World()
    await world.master_data()
    world.ticket()
    await world.handlers.apply(_event("ticket.created"))
    await world.handlers.apply(_event("ticket.created"))  # a duplicate: same state
    ((number, created),) = world.writer.tickets.values()
    assert (created.object_no, created.unit_no, created.reporter_person_no) == (
        "1001",
        "05",
        "P7",
    )
    assert created.type_no == "T1"
    entry = await world.ledger.entry("test", RecordKey.ticket(number))
    assert entry is not None
    assert (entry.state, entry.casavi_id) == ("sent", "cv-1")
    assert world.activity.activity[("test", "1")][1] == "new ticket"  # rule S2
    assert (await world.conflicts.base("test", TicketNumber(1)))["subject"] == "Tür klemmt"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"unit_id": "1001.99"}, "unknown unit '1001.99'"),
        ({"reporter_contact_id": "P8"}, "unknown reporter 'P8'"),
        ({"property_id": "2002", "unit_id": None}, "unknown object '2002'"),
        ({"ticket_type_id": "T9"}, "unknown type 'T9'"),
    ],
)
async def test_unknown_references_park_the_event(changes: dict[str, object], reason: str) -> None:
    world = World()
    await world.master_data()
    world.ticket(**changes)
    with pytest.raises(Park, match=reason):
        await world.handlers.apply(_event("ticket.created"))
    assert world.writer.tickets == {}


async def test_internal_casavi_notes_and_own_messages_never_become_notes() -> None:
    world = World()
    await world.master_data()
    world.ticket()
    for message_id, visibility in (("m-int", "internal"), ("m-own", "public"), ("m-pub", "public")):
        world.casavi.messages[message_id] = CasaviMessageView(
            id=message_id,
            ticket_id="cv-1",
            visibility=visibility,
            author_type="staff" if message_id != "m-pub" else "contact",
            content=message_id,
            written_at=NOW,
        )
    # echo suppression: the gateway posted m-own from an iX-Haus note (linked, origin ixhaus)
    await world.links.record(
        "test",
        NoteLink(ticket_number="1", ixhaus_note_id="9", casavi_message_id="m-own", origin="ixhaus"),
    )
    for message_id in ("m-int", "m-own", "m-pub", "m-pub"):
        await world.handlers.apply(_event("ticket.message.created", messageId=message_id))
    # rule N2: the internal note stays in casavi; rule N1: the public one arrives once.
    assert list(world.writer.notes) == ["m-pub"]
    link = await world.links.by_casavi_message("test", "m-pub")
    assert link is not None
    assert link.origin == "casavi"


async def test_internal_casavi_tickets_never_come_over() -> None:
    world = World()
    await world.master_data()
    world.ticket(visibility="internal")
    await world.handlers.apply(_event("ticket.created"))
    assert world.writer.tickets == {}


async def test_a_field_only_casavi_changed_is_applied_without_conflict() -> None:
    world = World()
    await world.master_data()
    world.ticket()
    await world.handlers.apply(_event("ticket.created"))
    world.ticket(status_id="S2", description="jetzt auch das Fenster")
    await world.handlers.apply(_event("ticket.updated"))
    held = await world.writer.ticket(1)
    assert held is not None
    assert (held.status_no, held.description) == ("S2", "jetzt auch das Fenster")
    assert world.conflicts.rows == {}
    assert world.activity.activity[("test", "1")][1] == "status"  # rule S2


@pytest.mark.parametrize(
    ("policy", "ixhaus_after", "pushed", "resolution"),
    [
        ("ixhaus_wins", "Staff", [("cv-1", {"subject": "Staff"})], "ixhaus"),
        ("casavi_wins", "Tenant", [], "casavi"),
        ("manual", "Staff", [], None),
    ],
)
async def test_both_sides_changed_follow_the_policy(
    policy: str, ixhaus_after: str, pushed: list[object], resolution: str | None
) -> None:
    world = World({"subject": policy})
    await world.master_data()
    world.ticket()
    await world.handlers.apply(_event("ticket.created"))
    await world.writer.update_ticket_fields(1, {"subject": "Staff"})
    world.ticket(subject="Tenant")
    await world.handlers.apply(_event("ticket.updated"))
    held = await world.writer.ticket(1)
    assert held is not None
    assert held.subject == ixhaus_after
    assert world.casavi.changes == pushed
    (conflict,) = world.conflicts.rows.values()
    assert (conflict.base_value, conflict.ixhaus_value, conflict.casavi_value) == (
        "Tür klemmt",
        "Staff",
        "Tenant",
    )
    assert (conflict.policy, conflict.resolution) == (policy, resolution)


def test_parked_events_back_off_exponentially_up_to_an_hour() -> None:
    delays = [retry_delay_seconds(n) for n in range(10)]
    assert delays[:4] == [30.0, 60.0, 120.0, 240.0]
    assert delays[-1] == 3600.0
    assert dt.timedelta(seconds=max(delays)) == dt.timedelta(hours=1)


def _message(
    message_id: str, content: str, *, author: str = "P7", kind: str = "contact"
) -> CasaviMessageView:
    return CasaviMessageView(
        id=message_id,
        ticket_id="cv-1",
        visibility="public",
        author_type=kind,
        author_id=author,
        content=content,
        written_at=NOW,
    )


async def test_a_note_names_who_wrote_the_message() -> None:
    # rule N1 (Meldungsnotizen: Erfasser, Erfassungszeitpunkt, Inhalt): a tenant's message
    # carries the tenant's person and name (the Erfasser is the ticket user, C11); a casavi
    # staff member's message is written by that user.
    world = World()
    await world.master_data()
    await world.sent(RecordKey.of(EntityKind.USER, "042"))
    world.ticket()
    world.casavi.names.update({"P7": "Erika Mieterin", "042": "Max Verwalter"})
    world.casavi.messages["m-1"] = _message("m-1", "Die Tür klemmt noch")
    world.casavi.messages["m-2"] = _message("m-2", "Wir kommen", author="042", kind="staff")
    world.casavi.messages["m-3"] = _message("m-3", "Automatisch", author="x", kind="system")
    for message_id in ("m-1", "m-2", "m-3"):
        await world.handlers.apply(_event("ticket.message.created", messageId=message_id))
    tenant = world.writer.notes["m-1"][1]
    assert (tenant.author_user_no, tenant.author_person_no, tenant.author_name) == (
        None,  # the writer signs with the ticket user (C11)
        "P7",
        "Erika Mieterin",
    )
    staff = world.writer.notes["m-2"][1]
    assert (staff.author_user_no, staff.author_name) == ("042", "Max Verwalter")
    nobody = world.writer.notes["m-3"][1]
    assert (nobody.author_user_no, nobody.author_person_no, nobody.author_name) == (
        None,
        None,
        None,
    )


async def _tenant_note(world: World) -> int:
    await world.master_data()
    world.ticket()
    world.casavi.messages["m-1"] = _message("m-1", "Die Tür klemmt")
    await world.handlers.apply(_event("ticket.message.created", messageId="m-1"))
    return world.writer.notes["m-1"][0]


async def test_a_tenant_editing_the_message_edits_the_note() -> None:
    # rule N1: the note follows the tenant's edit; S2 records the portal activity
    world = World()
    note_id = await _tenant_note(world)
    world.casavi.messages["m-1"] = _message("m-1", "Die Tür klemmt - und quietscht")
    await world.handlers.apply(_event("ticket.polled"))  # the poll reconciles the ticket
    held = await world.writer.note(note_id)
    assert held is not None
    assert held.content == "Die Tür klemmt - und quietscht"
    assert world.activity.activity[("test", "1")][1] == "message edited"
    assert world.conflicts.rows == {}
    # Seen again, nothing changes (idempotent).
    await world.handlers.apply(_event("ticket.polled"))
    assert world.conflicts.rows == {}


@pytest.mark.parametrize(
    ("policy", "note_after", "resolution"),
    [
        ("ixhaus_wins", "Staff: Tür klemmt (Schloss)", "ixhaus"),
        ("casavi_wins", "Tür klemmt sehr", "casavi"),
        ("manual", "Staff: Tür klemmt (Schloss)", None),
    ],
)
async def test_an_edit_on_both_sides_is_a_conflict_under_the_notes_policy(
    policy: str, note_after: str, resolution: str | None
) -> None:
    world = World({"notes": policy})
    note_id = await _tenant_note(world)
    await world.writer.update_note(note_id, "Staff: Tür klemmt (Schloss)")  # staff edited it
    world.casavi.messages["m-1"] = _message("m-1", "Tür klemmt sehr")
    await world.handlers.apply(_event("ticket.polled"))
    held = await world.writer.note(note_id)
    assert held is not None
    assert held.content == note_after
    (conflict,) = world.conflicts.rows.values()
    assert conflict.field == f"note:{note_id}"
    assert (conflict.base_value, conflict.ixhaus_value, conflict.casavi_value) == (
        "Die Tür klemmt",
        "Staff: Tür klemmt (Schloss)",
        "Tür klemmt sehr",
    )
    assert (conflict.policy, conflict.resolution) == (policy, resolution)


async def test_each_kind_is_dispatched_to_its_handler() -> None:
    # One tagged union, one ``match``: a message callback without its id reconciles the whole
    # ticket, the gateway's own change applies nothing, a staff ticket never comes back.
    world = World()
    await world.master_data()
    world.ticket()
    world.casavi.messages["m-1"] = _message("m-1", "Die Tür klemmt")
    outcome = await world.handlers.apply(_event("ticket.message.created"))  # no messageId
    assert "note" in outcome
    assert "m-1" in world.writer.notes
    own = decode_event("ticket.own_write", {"ticketId": "cv-1", "modifiedAt": NOW})
    assert await world.handlers.apply(own) == ""
    world.ticket(id="cv-2", origin="staff")
    staff = decode_event(
        "ticket.updated", {"id": "e", "occurredAt": NOW, "data": {"ticketId": "cv-2"}}
    )
    assert await world.handlers.apply(staff) == (
        "not a tenant's ticket and not one the gateway sent: ignored"
    )


class CountingNoteLinks(FakeNoteLinks):
    """Note links that count their look-ups (one by one, and batched)."""

    def __init__(self) -> None:
        super().__init__()
        self.single = self.batched = 0

    async def by_casavi_message(self, system: str, message_id: str) -> NoteLink | None:
        self.single += 1
        return await super().by_casavi_message(system, message_id)

    async def by_casavi_messages(
        self, system: str, message_ids: Sequence[str]
    ) -> dict[str, NoteLink]:
        self.batched += 1
        return await super().by_casavi_messages(system, message_ids)

    async def record(self, system: str, link: NoteLink) -> bool:
        single = self.single  # the fake's own check of both sides is no look-up of the flow
        try:
            return await super().record(system, link)
        finally:
            self.single = single


class CountingConflicts(FakeConflicts):
    def __init__(self) -> None:
        super().__init__()
        self.base_reads = 0

    async def base(self, system: str, ticket: TicketNumber) -> dict[str, str | None]:
        self.base_reads += 1
        return await super().base(system, ticket)


async def test_a_polled_ticket_reads_what_is_known_of_its_messages_once() -> None:
    # The poll lists every message of a changed ticket (and a callback's job sees the poll's
    # event of a busy ticket): the note links of all of them are one look-up, the ticket's
    # bases one read - not two queries per message the ticket ever had.
    world = World()
    links, conflicts = CountingNoteLinks(), CountingConflicts()
    world.links, world.conflicts = links, conflicts
    two_way = TwoWay(links, conflicts, world.activity, world.ledger).bind("test")
    world.handlers = dataclasses.replace(
        world.handlers, note_links=two_way.note_links, conflicts=two_way.conflicts
    )
    await world.master_data()
    world.ticket()
    for i in range(5):
        world.casavi.messages[f"m-{i}"] = _message(f"m-{i}", f"Nachricht {i}")
    await world.handlers.apply(_event("ticket.polled"))
    assert sorted(world.writer.notes) == [f"m-{i}" for i in range(5)]
    links.single = links.batched = conflicts.base_reads = 0

    world.casavi.messages["m-2"] = _message("m-2", "Nachricht 2, korrigiert")  # edited (N1)
    world.casavi.messages["m-5"] = _message("m-5", "Noch eine")  # new
    await world.handlers.apply(_event("ticket.polled"))
    held = await world.writer.note(world.writer.notes["m-2"][0])
    assert held is not None
    assert held.content == "Nachricht 2, korrigiert"
    assert "m-5" in world.writer.notes
    assert len(world.writer.notes) == 6
    # One batched look-up; only the new message is looked up again before its note is
    # written. The bases: once for the fields, once for all the messages.
    assert (links.batched, links.single) == (1, 1)
    assert conflicts.base_reads == 2
    # Seen again: nothing changes.
    await world.handlers.apply(_event("ticket.polled"))
    assert len(world.writer.notes) == 6
    assert world.conflicts.rows == {}
