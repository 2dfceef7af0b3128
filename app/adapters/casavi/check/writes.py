"""``--write-test``: one clearly marked record per writable kind, created, read, changed and
removed again (only on a system whose settings allow it: ``casavi.allowWriteTest``).

Every reference id starts with ``pg-check-<time>`` and every name says "portal-gateway
contract check - delete me". Nothing is addressed to a tenant: the ticket has no reporter,
its message is an internal note, the post's property has no contacts. What cannot be
removed (a casavi without ticket removal keeps the closed check ticket) is named in the
report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from app.adapters.casavi.check.probe import Prober, path
from app.adapters.casavi.documents import MultipartUpload
from app.adapters.casavi.wire import (
    ContactWrite,
    Contract,
    PropertyWrite,
    StaffAssignment,
    StaffRoleWrite,
    StaffWrite,
    UnitWrite,
)
from app.adapters.casavi.wire_tickets import (
    DocumentWrite,
    PostWrite,
    TicketClose,
    TicketCreate,
    TicketMessageCreate,
    TicketMessageUpdate,
    TicketPriorityWrite,
    TicketStatusWrite,
    TicketTypeWrite,
    TicketUpdate,
)

MARK = "portal-gateway contract check - delete me"
CONTENT = b"portal-gateway contract check\n"


async def write_probes(probe: Prober) -> list[str]:
    """Run the write test; return what could not be removed again."""
    tag = f"pg-check-{datetime.now(UTC):%Y%m%d%H%M%S}"
    ids = {
        k: f"{tag}-{k}" for k in ("r", "p", "u", "c", "s", "tt", "st", "pr", "t", "m", "d", "post")
    }
    r = probe.paths.r
    made: list[tuple[str, str]] = []  # (delete operation, path), removed in reverse
    plan: list[tuple[str, str, Any]] = [
        ("StaffRole", r.staff_roles, StaffRoleWrite(id=ids["r"], name=MARK)),
        ("Property", r.properties, PropertyWrite(id=ids["p"], name=MARK)),
        ("Unit", r.units, UnitWrite(id=ids["u"], property_id=ids["p"], number="0")),
        (
            "Contact",
            r.contacts,
            ContactWrite(
                id=ids["c"],
                last_name=MARK,
                contracts=[Contract(type="RENTER", property_id=ids["p"], unit_id=ids["u"])],
            ),
        ),
        (
            "Staff",
            r.staff,
            StaffWrite(
                id=ids["s"],
                last_name=MARK,
                email="contract-check@example.invalid",
                responsibilities=[StaffAssignment(property_id=ids["p"], role_id=ids["r"])],
            ),
        ),
        ("TicketType", r.ticket_types, TicketTypeWrite(id=ids["tt"], name=MARK)),
        (
            "TicketStatus",
            r.ticket_statuses,
            TicketStatusWrite(id=ids["st"], name=MARK, type="OPEN"),
        ),
        (
            "TicketPriority",
            r.ticket_priorities,
            TicketPriorityWrite(id=ids["pr"], name=MARK, type="LOW"),
        ),
    ]
    for noun, base, item in plan:
        if await probe.call(f"create{noun}", "POST", base, body=item) is None:
            probe.skip(f"get{noun}", f"create{noun} failed")
            continue
        made.append((f"delete{noun}", path(base, item.id)))
        await probe.call(f"get{noun}", "GET", path(base, item.id))
        await probe.call(f"update{noun}", "PUT", path(base, item.id), body=item)
    await _ticket(probe, ids, made)
    await _document(probe, ids)
    await _post(probe, ids, made)
    left: list[str] = []
    for operation, url in reversed(made):
        if await probe.call(operation, "DELETE", url) is None:
            left.append(url)
    return left


async def _ticket(probe: Prober, ids: dict[str, str], made: list[tuple[str, str]]) -> None:
    p = probe.paths
    ticket = TicketCreate(
        id=ids["t"],
        ticket_type_id=ids["tt"],
        subject=MARK,
        property_id=ids["p"],
        visibility="internal",
    )
    if await probe.call("createTicket", "POST", p.r.tickets, body=ticket) is None:
        for op in (
            "updateTicket",
            "closeTicket",
            "deleteTicket",
            "createTicketMessage",
            "updateTicketMessage",
        ):
            probe.skip(op, "createTicket failed: no check ticket to write on")
        return
    made.append(("deleteTicket", p.ticket(ids["t"])))
    await probe.call("getTicket", "GET", p.ticket(ids["t"]))
    await probe.call("updateTicket", "PATCH", p.ticket(ids["t"]), body=TicketUpdate(hint1=MARK))
    note = TicketMessageCreate(id=ids["m"], author_id=ids["s"], visibility="internal", content=MARK)
    if await probe.call("createTicketMessage", "POST", p.messages(ids["t"]), body=note) is not None:
        await probe.call("listTicketMessages", "GET", p.messages(ids["t"]), params={"pageSize": 1})
        await probe.call("getTicketMessage", "GET", p.messages(ids["t"], ids["m"]))
        edit = TicketMessageUpdate(content=f"{MARK} (edited)")
        await probe.call("updateTicketMessage", "PATCH", p.messages(ids["t"], ids["m"]), body=edit)
    else:
        probe.skip("updateTicketMessage", "createTicketMessage failed")
    await probe.call("closeTicket", "POST", p.close(ids["t"]), body=TicketClose())


async def _document(probe: Prober, ids: dict[str, str]) -> None:
    """A property document (D1): uploaded, read, downloaded, removed."""
    p = probe.paths
    meta = DocumentWrite(
        id=ids["d"],
        name=MARK,
        file_name="contract-check.txt",
        content_type="text/plain",
        property_id=ids["p"],
    )

    async def content() -> AsyncIterator[bytes]:
        yield CONTENT

    upload = MultipartUpload(meta, content, len(CONTENT))
    if await probe.call(
        "uploadDocument", "POST", p.r.documents, raw=(upload.stream, upload.headers)
    ):
        await probe.call("getDocument", "GET", path(p.r.documents, ids["d"]))
        await probe.call("downloadDocument", "GET", p.document_file(ids["d"]), stream=True)
        await probe.call("deleteDocument", "DELETE", path(p.r.documents, ids["d"]))
    else:
        for op in ("getDocument", "downloadDocument", "deleteDocument"):
            probe.skip(op, "uploadDocument failed")


async def _post(probe: Prober, ids: dict[str, str], made: list[tuple[str, str]]) -> None:
    r = probe.paths.r
    post = PostWrite(
        id=ids["post"], property_id=ids["p"], author_id=ids["s"], title=MARK, content=MARK
    )
    if await probe.call("createPost", "POST", r.posts, body=post) is None:
        probe.skip("getPost", "createPost failed")
        return
    made.append(("deletePost", path(r.posts, ids["post"])))
    await probe.call("getPost", "GET", path(r.posts, ids["post"]))
