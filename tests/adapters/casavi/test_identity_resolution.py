"""Every casavi request that names another record resolves its id through the identity map,
for a parent born in iX-Haus (the reference id derived from its number) and for one born in
casavi (the id casavi gave it: a tenant's ticket ``cv-…``, or a record adopted under a
foreign id). The simulator refuses a request naming a record it does not hold (422/404), so
a reference rebuilt from the iX-Haus key fails here.

The calls: unit -> property; contact contracts -> property, unit; owner contracts ->
property; staff responsibilities -> property, role; ticket create -> property, unit,
reporter, staff, team, type, status, priority; ticket update and close -> the ticket; a
message (N1) and its edit -> the ticket; a commissioning note (T8) -> the ticket; a house
notice (T5) -> property, author; a document -> property, contact, ticket (D6); a removal ->
the record's own id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.document_portal import CasaviDocuments
from app.adapters.casavi.portal import CasaviPortal
from app.adapters.casavi.wire import (
    ContactWrite,
    PropertyWrite,
    StaffRoleWrite,
    StaffWrite,
    UnitWrite,
)
from app.adapters.casavi.wire_tickets import (
    TicketCreate,
    TicketPriorityWrite,
    TicketStatusWrite,
    TicketTypeWrite,
)
from app.domain.identity import IdentityMap, ParentUnsettled
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import (
    ContactPayload,
    PersonPayload,
    PortalAssignment,
    PortalContact,
    PortalContract,
    PortalDocument,
    PortalNote,
    PortalPerson,
    PortalTicket,
    PortalUnit,
    PortalUser,
)
from app.sync.ports import DocumentContents
from tests.support.casavi import (  # noqa: F401 - fixtures
    SimHandle,
    client,
    contract,
    make_client,
    simulator,
)

WHEN = datetime(2026, 6, 15, 9, tzinfo=UTC)
OBJECT = RecordKey.of(EntityKind.OBJECT, "1001")
UNIT = RecordKey.unit("1001", "01")
PERSON = RecordKey.person("4711")
USER = RecordKey.of(EntityKind.USER, "001")
TEAM = RecordKey.of(EntityKind.TEAM, "T1")
TYPE = RecordKey.of(EntityKind.TICKET_TYPE, "10")
STATUS = RecordKey.of(EntityKind.TICKET_STATUS, "1")
PRIORITY = RecordKey.of(EntityKind.TICKET_PRIORITY, "2")
TICKET = RecordKey.ticket(61)
# The ids casavi gave the parents when they were born there.
FOREIGN = {
    OBJECT: "cv-prop-1",
    UNIT: "cv-unit-1",
    PERSON: "cv-contact-1",
    USER: "cv-staff-1",
    TEAM: "cv-role-1",
    TYPE: "cv-type-10",
    STATUS: "cv-status-1",
    PRIORITY: "cv-prio-2",
    TICKET: "cv-7f3a",
}
Side = str


def casavi_ids(side: Side) -> dict[RecordKey, str]:
    return {k: (v if side == "casavi" else k.reference_id) for k, v in FOREIGN.items()}


async def born(client: CasaviClient, ids: dict[RecordKey, str]) -> IdentityMap:  # noqa: F811
    """The parents in casavi under their ids, and the map that knows them."""
    await client.properties.create(PropertyWrite(id=ids[OBJECT], name="Haus"))
    await client.units.create(UnitWrite(id=ids[UNIT], property_id=ids[OBJECT], number="01"))
    await client.contacts.create(ContactWrite(id=ids[PERSON], last_name="Mieter"))
    await client.staff_roles.create(StaffRoleWrite(id=ids[TEAM], name="Team"))
    await client.staff.create(StaffWrite(id=ids[USER], last_name="Meyer", email="m@example.org"))
    await client.ticket_types.create(TicketTypeWrite(id=ids[TYPE], name="Schaden"))
    await client.ticket_statuses.create(TicketStatusWrite(id=ids[STATUS], name="Neu", type="OPEN"))
    await client.ticket_priorities.create(
        TicketPriorityWrite(id=ids[PRIORITY], name="Hoch", type="HIGH")
    )
    await client.tickets.create(
        TicketCreate(
            id=ids[TICKET], ticket_type_id=ids[TYPE], subject="Heizung", property_id=ids[OBJECT]
        )
    )
    known = IdentityMap()
    for key, casavi_id in ids.items():
        known.adopt(key, casavi_id)
    return known


def ticket(number: int, **fields: Any) -> PortalTicket:
    values: dict[str, Any] = {
        "number": number,
        "kind": "normal",
        "audience": "reporter",
        "type_no": "10",
        "subject": "Heizung kalt",
        "reported_at": WHEN,
        "object_no": "1001",
        "unit_no": "01",
        "reporter_person_no": "4711",
        "responsible_user_no": "001",
        "team_no": "T1",
        "status_no": "1",
        "priority_no": "2",
        **fields,
    }
    return PortalTicket(**values)


class Bytes:
    """Document contents from memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def size(self, document: PortalDocument) -> int:
        return len(self.data)

    async def chunks(self, document: PortalDocument) -> Any:
        yield self.data


@pytest.mark.parametrize("side", ["ixhaus", "casavi"])
async def test_every_call_names_its_parents_by_the_id_casavi_knows(
    client: CasaviClient,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
    side: Side,
) -> None:
    ids = casavi_ids(side)
    known = await born(client, ids)
    portal = CasaviPortal(client, post_author_id="001")
    store = simulator.state.store

    async def put(key: RecordKey, record: Any, presence: Any = "new") -> str:
        return await portal.prepare(key, record, known)(presence)

    # unit -> property
    unit2 = RecordKey.unit("1001", "02")
    await put(unit2, PortalUnit(object_no="1001", number="02"))
    assert store.get("units", "1001.02")["propertyId"] == ids[OBJECT]  # type: ignore[index]
    # contact contracts -> property, unit
    lease = PortalContract(
        number="V1", object_no="1001", unit_no="01", person_no="4712",
        rent_cents=80000, deposit_cents=0, start=WHEN.date(),
    )  # fmt: skip
    tenant = PersonPayload(
        person=PortalPerson(number="4712", portal_user=True, last_name="Neu"), contracts=(lease,)
    )
    await put(RecordKey.person("4712"), tenant)
    (stored,) = store.get("contacts", "4712")["contracts"]  # type: ignore[index]
    assert (stored["propertyId"], stored["unitId"]) == (ids[OBJECT], ids[UNIT])
    # owner contracts -> property
    owner = PortalContact(number="900", role="owner", object_no="1001", last_name="Eigner")
    owner_key = RecordKey.of(EntityKind.OWNER, "900")
    await put(owner_key, ContactPayload(contact=owner, object_nos=("1001",)))
    owned = store.get("contacts", owner_key.reference_id)["contracts"]  # type: ignore[index]
    assert [c["propertyId"] for c in owned] == [ids[OBJECT]]
    # staff responsibilities -> property, role
    user2 = PortalUser(
        number="002", last_name="Kurz", email="k@example.org",
        assignments=(PortalAssignment(object_no="1001", role=TEAM),),
    )  # fmt: skip
    await put(RecordKey.of(EntityKind.USER, "002"), user2)
    assert store.get("staff", "002")["responsibilities"] == [  # type: ignore[index]
        {"propertyId": ids[OBJECT], "roleId": ids[TEAM]}
    ]
    # ticket create -> property, unit, reporter, staff, team, type, status, priority
    await put(RecordKey.ticket(62), ticket(62))
    created = store.get("tickets", "62")
    assert created is not None
    assert (created["propertyId"], created["unitId"]) == (ids[OBJECT], ids[UNIT])
    assert (created["reporterContactId"], created["responsibleStaffId"]) == (
        ids[PERSON],
        ids[USER],
    )
    assert (created["responsibleRoleId"], created["ticketTypeId"]) == (ids[TEAM], ids[TYPE])
    assert (created["statusId"], created["priorityId"]) == (ids[STATUS], ids[PRIORITY])
    # ticket update and close -> the ticket by its casavi id
    assert (
        await put(TICKET, ticket(61, subject="Heizung repariert", closed=True), "held")
        == (ids[TICKET])
    )
    changed = store.get("tickets", ids[TICKET])
    assert changed is not None
    assert (changed["subject"], changed["closedAt"] is not None) == ("Heizung repariert", True)
    assert store.get("tickets", "61") is None or side == "ixhaus"  # no second ticket
    # a message (N1), its edit, and a commissioning note (T8) -> the ticket
    note = PortalNote(
        id=5, ticket_no=61, created_at=WHEN, content="Kommt morgen", author_user_no="001"
    )
    await put(RecordKey.of(EntityKind.NOTE, "5"), note)
    message = await client.tickets.get_message(ids[TICKET], "5")
    assert (message.content, message.author_id) == ("Kommt morgen", ids[USER])
    edited = PortalNote(
        id=5, ticket_no=61, created_at=WHEN, content="Kommt übermorgen", author_user_no="001"
    )
    await put(RecordKey.of(EntityKind.NOTE, "5"), edited, "held")
    assert (await client.tickets.get_message(ids[TICKET], "5")).content == "Kommt übermorgen"
    t8 = PortalNote(id=77, ticket_no=61, created_at=WHEN, content="Auftrag erteilt")
    t8_key = RecordKey.of(EntityKind.WORK_ORDER_NOTE, "77")
    await put(t8_key, t8)
    order = await client.tickets.get_message(ids[TICKET], t8_key.reference_id)
    assert order.author_id == ids[USER]  # the ticket user (C11) signs it
    # a house notice (T5) -> property, author
    await put(RecordKey.ticket(63), ticket(63, kind="bulletin_board", audience="object"))
    post = await client.posts.get("63")
    assert (post.property_id, post.author_id) == (ids[OBJECT], ids[USER])
    # a document (D6) -> ticket, property
    documents = CasaviDocuments(client)
    doc = PortalDocument(
        id=8, name="Foto", document_type="Foto", created_at=WHEN, object_no="1001",
        person_no="4711", ticket_no=61, size_bytes=3,
    )  # fmt: skip
    contents: DocumentContents = Bytes(b"abc")
    await documents.prepare_document(RecordKey.of(EntityKind.DOCUMENT, "8"), doc, contents, known)(
        "new"
    )
    attached = store.get("documents", "8")
    assert attached is not None
    assert (attached["ticketId"], attached["propertyId"]) == (ids[TICKET], ids[OBJECT])
    # a removal -> the record's own id
    await portal.remove(UNIT, ids=known)
    assert store.get("units", ids[UNIT]) is None


async def test_a_parent_whose_state_is_unsettled_stops_the_write_before_any_request(
    client: CasaviClient,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
) -> None:
    known = IdentityMap()
    known.learn(OBJECT, "error", None)  # its creation failed
    portal = CasaviPortal(client)
    before = (await simulator.stats())["requests"]
    with pytest.raises(ParentUnsettled) as waiting:
        portal.prepare(
            RecordKey.unit("1001", "02"), PortalUnit(object_no="1001", number="02"), known
        )
    assert waiting.value.parent == OBJECT
    assert (await simulator.stats())["requests"] == before


async def test_a_message_without_an_author_casavi_knows_is_refused_before_sending(
    client: CasaviClient,  # noqa: F811
) -> None:
    portal = CasaviPortal(client)  # no ticket user configured (C11)
    note = PortalNote(id=5, ticket_no=61, created_at=WHEN, content="Hallo")
    with pytest.raises(ValueError, match="no author"):
        portal.prepare(RecordKey.of(EntityKind.NOTE, "5"), note, IdentityMap())
