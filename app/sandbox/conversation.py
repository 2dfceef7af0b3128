"""The demo's conversation on one ticket - the one a tenant opens in casavi.

The tenant opens a ticket in the casavi portal (it reaches iX-Haus, rule T10); staff answer
on that same ticket from iX-Haus by the note trigger (N1); staff commission a contractor
(the T8 note) and move the status, which a run sends; the tenant sees each step in the
portal's tenant view and replies; the reply arrives in iX-Haus naming the tenant; staff
close the ticket by the ticket trigger. Every step is printed with its latency. casavi keeps
the ticket under the id it gave it: no second ticket, no message twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.ixhaus.schema import IxhausTables
from app.sync.ports import SyncRunInfo
from app.sync.services import Services

Say = Callable[[str], None]
RunOnce = Callable[[str], Awaitable[SyncRunInfo]]


@dataclass
class Conversation:
    services: Services
    ixhaus: AsyncEngine
    sim: httpx.AsyncClient  # the casavi simulator (its tenant view and tenant actions)
    run: RunOnce
    say: Say
    tables: IxhausTables = field(default_factory=IxhausTables)

    async def talk(self, tenant: dict[str, str]) -> dict[str, Any]:
        t, say = self.tables, self.say
        say(f"tenant {tenant['contactId']} opens a ticket in the casavi portal")
        since = time.monotonic()
        opened = {**tenant, "subject": "Wasserfleck an der Decke", "description": "Im Bad"}
        created = await self._sim("POST", "/_sandbox/tenant/tickets", json=opened)
        ticket_id = created["id"]
        row = await self._arrival(t.tickets, ticket_id)
        number = int(row.ticket_no)
        timings = {"tenant_ticket": time.monotonic() - since}
        say(
            f"  -> iX-Haus ticket {number} after {timings['tenant_ticket']:.2f} s; casavi "
            f"keeps it as {ticket_id} (author: ticket user {row.created_by_user_no}, T10/C11)"
        )

        from app.sync.tickets import push_note, push_ticket

        note_id = await self._note(number, "Der Techniker kommt morgen zwischen 8 und 10 Uhr.")
        since = time.monotonic()
        async with self.services.contexts.use("test") as ctx:
            pushed = await push_note(
                ctx,
                str(number),
                str(note_id),
                policy=self.services.policy,
                clock=self.services.clock,
            )
        timings["staff_reply"] = time.monotonic() - since
        seen = await self.seen(ticket_id)
        say(
            f"staff answer on ticket {number} (note trigger): {pushed.outcome} in "
            f"{timings['staff_reply']:.2f} s; the tenant sees: {seen['messages'][-1]['content']!r}"
        )

        status = await self._commission_and_move(number, row.type_no, row.status_no)
        since = time.monotonic()
        run = await self.run("staff commission a contractor and move the status")
        timings["run"] = time.monotonic() - since
        seen = await self.seen(ticket_id)
        say(
            f"  the tenant sees status {seen['statusId']} and: "
            + "; ".join(repr(m["content"]) for m in seen["messages"][1:])
        )

        say("the tenant replies in the portal")
        since = time.monotonic()
        reply = await self._sim(
            "POST",
            f"/_sandbox/tenant/tickets/{ticket_id}/messages",
            json={"contactId": tenant["contactId"], "content": "Danke, ich bin da."},
        )
        note = await self._arrival(t.notes, reply["id"])
        timings["tenant_reply"] = time.monotonic() - since
        say(
            f"  -> iX-Haus note {note.note_id} after {timings['tenant_reply']:.2f} s, written "
            f"by {note.author_name or note.author_person_no} (person {note.author_person_no})"
        )

        await self._close(number)
        since = time.monotonic()
        async with self.services.contexts.use("test") as ctx:
            closed = await push_ticket(
                ctx, str(number), policy=self.services.policy, clock=self.services.clock
            )
        timings["close"] = time.monotonic() - since
        seen = await self.seen(ticket_id)
        say(
            f"staff close ticket {number} (ticket trigger): {closed.outcome} in "
            f"{timings['close']:.2f} s; the tenant sees it closed: {bool(seen['closedAt'])}"
        )
        messages = [m["content"] for m in seen["messages"]]
        say(f"  the conversation in casavi: {len(messages)} messages on one ticket ({ticket_id})")
        return {
            "ticket": number,
            "casavi_ticket": ticket_id,
            "messages": messages,
            "status": status,
            "run": run.status,
            "closed": bool(seen["closedAt"]),
            "reply_author": note.author_person_no,
            **{f"{step}_seconds": round(seconds, 2) for step, seconds in timings.items()},
        }

    async def seen(self, ticket_id: str) -> dict[str, Any]:
        """What the tenant sees of the ticket in the portal."""
        return await self._sim("GET", f"/_sandbox/tenant/tickets/{ticket_id}")

    # -- iX-Haus, as staff change it ------------------------------------------------------
    async def _note(self, number: int, content: str) -> int:
        t = self.tables
        async with self.ixhaus.begin() as conn:
            row = await conn.execute(
                insert(t.notes)
                .values(ticket_no=number, created_at=datetime.now(UTC), content=content)
                .values(internal=False)
                .returning(t.notes.c.note_id)
            )
            return int(row.scalar_one())

    async def _commission_and_move(self, number: int, type_no: str, status_no: str | None) -> str:
        """T8: the ticket's type creates a portal note on commissioning; a work order is
        placed; the status moves to the next open one."""
        t = self.tables
        async with self.ixhaus.begin() as conn:
            await conn.execute(
                update(t.ticket_types)
                .where(t.ticket_types.c.type_no == type_no)
                .values(
                    note_on_commissioning=True, note_template="Auftrag an {contractor} erteilt."
                )
            )
            last = select(t.work_orders.c.order_no).order_by(t.work_orders.c.order_no.desc())
            order = int(await conn.scalar(last.limit(1)) or 0) + 1
            await conn.execute(
                insert(t.work_orders).values(
                    order_no=order,
                    ticket_no=number,
                    placed_at=datetime.now(UTC),
                    contractor="Sanitär Schmidt",
                )
            )
            statuses = (
                await conn.scalars(
                    select(t.ticket_statuses.c.status_no).where(t.ticket_statuses.c.kind == "open")
                )
            ).all()
            status = next((s for s in statuses if s != status_no), status_no or statuses[0])
            await conn.execute(
                update(t.tickets)
                .where(t.tickets.c.ticket_no == number)
                .values(status_no=status, modified_at=datetime.now(UTC))
            )
        await self._note(number, "Die Reparatur ist für Donnerstag geplant.")
        return status

    async def _close(self, number: int) -> None:
        t = self.tables
        async with self.ixhaus.begin() as conn:
            await conn.execute(
                update(t.tickets)
                .where(t.tickets.c.ticket_no == number)
                .values(closed_at=datetime.now(UTC), modified_at=datetime.now(UTC))
            )

    async def _arrival(self, table: Any, source_ref: str, seconds: float = 30) -> Any:
        """The iX-Haus row written from casavi's record ``source_ref``, once it is there."""
        deadline = time.monotonic() + seconds
        while True:
            async with self.ixhaus.connect() as conn:
                query = select(table).where(table.c.source_ref == source_ref)
                row = (await conn.execute(query)).first()
            if row is not None:
                return row
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing arrived in iX-Haus within {seconds:g} s")
            await asyncio.sleep(0.05)

    async def _sim(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.sim.request(method, path, **kwargs)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result
