"""A tenant's ticket, messages, attachment, status change and rating reach the sandbox
iX-Haus through signed callbacks from the casavi simulator (over HTTP) to the gateway."""

from __future__ import annotations

import datetime as dt

import httpx

from app.adapters.casavi.wire_tickets import TicketMessageCreate
from app.domain.keys import EntityKind, RecordKey
from app.sandbox.casavi import ServerThread
from app.sandbox.ixhaus.profiles import TICKET_USER_NO
from app.sync.ports import NoteLink
from app.sync.stores import two_way_of
from tests.integration.inbound.conftest import Inbound


async def _note_count(inbound: Inbound, number: int) -> int:
    return await inbound.count("notes", ticket_no=number)


async def test_tenant_ticket_message_attachment_rating_reach_ixhaus(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    # rule T10: a tenant's new ticket arrives in iX-Haus with the ticket user as author.
    casavi_id = await inbound.open_ticket()

    async def created() -> bool:
        return await inbound.ticket_no(casavi_id) is not None and await inbound.settled()

    await inbound.wait_for(created)
    number = await inbound.ticket_no(casavi_id)
    assert number is not None
    (row,) = await inbound.rows("tickets", ticket_no=number)
    assert row.created_by_user_no == TICKET_USER_NO  # rule C11
    assert row.subject == "Wasserhahn tropft"
    tenant = await inbound.tenant()
    assert row.reporter_person_no == tenant["contactId"]
    assert row.object_no == tenant["propertyId"]
    assert f"{row.object_no}.{row.unit_no}" == tenant["unitId"]
    # rule S2: the portal activity says what happened
    state = await inbound.services.stores.portal_states.one("test", number)
    assert state is not None
    assert state.last_portal_change == "new ticket"

    # rule N1: a public message becomes a note; rule N2: casavi's internal note never does.
    await inbound.sim.tenant(
        "POST",
        f"/tickets/{casavi_id}/messages",
        json={"contactId": tenant["contactId"], "content": "Bitte dringend"},
    )
    staff = await anext(inbound.casavi.staff.list())
    response = await inbound.sim.control.post(
        f"/_sandbox/staff/tickets/{casavi_id}/messages",
        json={"staffId": staff.id, "content": "nur intern"},
    )
    response.raise_for_status()

    async def noted() -> bool:
        return await _note_count(inbound, number) == 1 and not await inbound.inbox("received")

    await inbound.wait_for(noted)
    (note,) = await inbound.rows("notes", ticket_no=number)
    assert note.content == "Bitte dringend"
    assert note.internal is False
    assert note.author_user_no == TICKET_USER_NO
    link = await two_way_of(inbound.services.stores).note_links.by_casavi_message(
        "test", note.source_ref
    )
    assert link is not None
    assert link.origin == "casavi"

    # An attachment becomes a ticket document pointing at casavi's document.
    upload = await inbound.sim.control.post(
        f"/_sandbox/tenant/tickets/{casavi_id}/attachments?fileName=leck.jpg",
        content=b"\xff\xd8jpeg",
        headers={"content-type": "image/jpeg"},
    )
    upload.raise_for_status()
    document_id = upload.json()["id"]

    async def attached() -> bool:
        return await inbound.count("documents", source_ref=document_id) == 1 and (
            await inbound.settled()
        )

    await inbound.wait_for(attached)
    (doc,) = await inbound.rows("documents", source_ref=document_id)
    assert (doc.ticket_no, doc.name, doc.source) == (number, "leck.jpg", "casavi")
    assert doc.content_location == f"casavi:/v2/documents/{document_id}/file"

    # A rating updates the ticket; rule S2 says "rating".
    await inbound.sim.tenant(
        "POST",
        f"/tickets/{casavi_id}/rating",
        json={"contactId": tenant["contactId"], "stars": 4, "comment": "schnell"},
    )

    async def rated() -> bool:
        # The rating and then its S2 activity are written by one job: wait for the job.
        (current,) = await inbound.rows("tickets", ticket_no=number)
        return bool(current.rating_stars == 4) and await inbound.settled()

    await inbound.wait_for(rated)
    state = await inbound.services.stores.portal_states.one("test", number)
    assert state is not None
    assert state.last_portal_change == "rating"

    # The ticket is linked in the ledger; the next outbound run does not create it again.
    entry = await two_way_of(inbound.services.stores).links.entry("test", RecordKey.ticket(number))
    assert entry is not None
    assert entry.casavi_id == casavi_id
    assert entry.state == "sent"
    before = [t.id async for t in inbound.casavi.tickets.list()]
    await inbound.outbound_run()
    after = [t.id async for t in inbound.casavi.tickets.list()]
    assert sorted(after) == sorted(before)
    assert str(number) not in after
    # ... nor sends it back: the ledger holds the fingerprint of what iX-Haus holds.
    routes = (await inbound.sim.stats())["byRoute"]
    assert not [r for r in routes if r.startswith("PATCH /v2/tickets/") and casavi_id in r]
    after_run = await two_way_of(inbound.services.stores).links.entry(
        "test", RecordKey.ticket(number)
    )
    assert after_run == entry  # unchanged: same state, casavi id and fingerprint
    assert entry.fingerprint is not None
    assert await inbound.count("tickets", source_ref=casavi_id) == 1


async def test_echo_of_the_gateways_own_message_is_not_written_back(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    # rule N1 / echo suppression: a message the gateway posted to casavi from an iX-Haus note
    # (linked with origin "ixhaus") is recognised by its link and never becomes a note.
    casavi_id = await inbound.open_ticket("Heizung kalt")

    async def created() -> bool:
        return await inbound.ticket_no(casavi_id) is not None and await inbound.settled()

    await inbound.wait_for(created)
    number = await inbound.ticket_no(casavi_id)
    assert number is not None
    await two_way_of(inbound.services.stores).note_links.record(
        "test",
        NoteLink(
            ticket_number=str(number),
            ixhaus_note_id="777777",
            casavi_message_id="gw-note-777777",
            origin="ixhaus",
        ),
    )
    staff = await anext(inbound.casavi.staff.list())
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await inbound.services.inbox.set_cursor("test", since, since)  # the poll ran before
    await inbound.casavi.tickets.add_message(
        casavi_id,
        TicketMessageCreate(
            id="gw-note-777777", author_id=staff.id, visibility="public", content="Techniker"
        ),
    )
    # The simulator does not call back for API writes; the poll sees the ticket change.
    from app.sync.inbound.poll import poll_system

    await poll_system(inbound.services, "test", force=True)
    pending = await inbound.inbox("received")
    assert pending
    from app.sync.inbound.process import process_ticket

    await process_ticket(inbound.services, "test", casavi_id)
    assert await inbound.count("notes", ticket_no=number) == 0
    assert await inbound.count("notes", source_ref="gw-note-777777") == 0
    assert not await inbound.inbox("parked")
    assert EntityKind.TICKET  # the ticket stays linked once
    assert await inbound.count("tickets", source_ref=casavi_id) == 1
