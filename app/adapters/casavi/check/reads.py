"""Harmless read probes: the smallest page of each list, the first record of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.adapters.casavi.check.probe import Prober, first_id, path
from app.adapters.casavi.resources import iso

SMALLEST: dict[str, str | int] = {"pageSize": 1}
# Collections the gateway writes, and the ``get`` it reads back (adoption): the list is a
# helper to find a record to read.
COLLECTIONS = (
    ("properties", "getProperty"),
    ("units", "getUnit"),
    ("contacts", "getContact"),
    ("staff", "getStaff"),
    ("staff_roles", "getStaffRole"),
    ("ticket_types", "getTicketType"),
    ("ticket_statuses", "getTicketStatus"),
    ("ticket_priorities", "getTicketPriority"),
)


async def read_probes(probe: Prober) -> None:
    routes = probe.paths.r
    for attribute, get_op in COLLECTIONS:
        base: str = getattr(routes, attribute)
        ref = first_id(await probe.call(None, "GET", base, params=SMALLEST))
        if ref is None:
            probe.skip(get_op, f"no record to read (GET {base}?pageSize=1 gave none)")
            continue
        await probe.call(get_op, "GET", path(base, ref))
    await _tickets(probe)


async def _tickets(probe: Prober) -> None:
    since = iso(datetime.now(UTC) - timedelta(days=365))
    page = await probe.call(
        "listTickets", "GET", probe.paths.r.tickets, params={**SMALLEST, "modifiedAfter": since}
    )
    ticket = first_id(page)
    if ticket is None:
        for op in ("getTicket", "listTicketMessages", "getTicketMessage", "listTicketAttachments"):
            probe.skip(op, "no ticket changed in the last year to read")
        return
    await probe.call("getTicket", "GET", probe.paths.ticket(ticket))
    messages = await probe.call(
        "listTicketMessages", "GET", probe.paths.messages(ticket), params=SMALLEST
    )
    message = first_id(messages)
    if message is not None:
        await probe.call("getTicketMessage", "GET", probe.paths.messages(ticket, message))
    elif messages is None:
        probe.skip("getTicketMessage", "listTicketMessages failed")
    else:
        probe.skip("getTicketMessage", f"ticket {ticket} has no message to read")
    attachments = await probe.call(
        "listTicketAttachments", "GET", probe.paths.attachments(ticket), params=SMALLEST
    )
    document = first_id(attachments)
    if document is None:
        why = "listTicketAttachments failed" if attachments is None else "no attachment"
        for op in ("getDocument", "downloadDocument"):
            probe.skip(op, f"{why} on ticket {ticket}")
        return
    await probe.call("getDocument", "GET", path(probe.paths.r.documents, document))
    await probe.call("downloadDocument", "GET", probe.paths.document_file(document), stream=True)
