"""Ticket catalogue (T4-T9), tickets, notes (N2) and work orders (T8) of the sandbox.

The first tickets and notes are fixed edges of the ticket rules; the rest is seeded noise.
Object 0 has the full history (C4), object 1 is a normal C3 object, the last is disabled.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.sandbox.ixhaus.context import Context, Row
from app.sandbox.ixhaus.master_data import person_no
from app.sandbox.ixhaus.pools import (
    BULLETIN_SUBJECTS,
    CONTRACTORS,
    INTERNAL_NOTE_TEXTS,
    NOTE_TEXTS,
    TICKET_SUBJECTS,
    TRADES,
)
from app.sandbox.ixhaus.profiles import (
    DISABLED_TEAM,
    ENABLED_TEAMS,
    STATUS_CANCELLED,
    STATUS_DONE,
    STATUS_NEW,
    STATUS_WORK,
    TYPE_BULLETIN,
    TYPE_DAMAGE,
    TYPE_HEATING,
    TYPE_LOCKED,
    TYPE_NOTICE,
    object_number,
)

ONE_SECOND = timedelta(seconds=1)


def ticket_types(ctx: Context) -> Iterator[Row]:
    base = {"notify_unregistered": False, "note_on_commissioning": False, "note_template": None}
    yield {**base, "type_no": TYPE_DAMAGE, "name": "Schadensmeldung", "portal_mode": "normal",
           "notify_unregistered": True}  # fmt: skip
    yield {**base, "type_no": TYPE_HEATING, "name": "Heizung/Sanitär", "portal_mode": "normal",
           "note_on_commissioning": True,
           "note_template": "Zu Ihrer Meldung {ticket_no} ({subject}) wurde am {placed_on} "
           "die Firma {contractor} beauftragt."}  # fmt: skip
    yield {
        **base,
        "type_no": TYPE_LOCKED,
        "name": "Serviceportal – Sperre",
        "portal_mode": "locked",
    }
    yield {**base, "type_no": TYPE_BULLETIN, "name": "Hausmitteilung (Pinnwand)",
           "portal_mode": "bulletin_board"}  # fmt: skip
    yield {**base, "type_no": TYPE_NOTICE, "name": "Serviceportal – Objektmeldung",
           "portal_mode": "object_notice"}  # fmt: skip


def ticket_statuses(ctx: Context) -> Iterator[Row]:
    for no, name, kind in (
        (STATUS_NEW, "Neu", "open"),
        (STATUS_WORK, "In Bearbeitung", "open"),
        (STATUS_DONE, "Erledigt", "closed"),
        (STATUS_CANCELLED, "Storniert", "cancelled"),
    ):
        yield {"status_no": no, "name": name, "kind": kind}


def ticket_priorities(ctx: Context) -> Iterator[Row]:
    for no, name in (("1", "niedrig"), ("2", "normal"), ("3", "hoch"), ("4", "kritisch")):
        yield {"priority_no": no, "name": name, "kind": name}


@dataclass(frozen=True)
class TicketEdge:
    name: str
    object_index: int  # -1 = the disabled last object
    type_no: str = TYPE_DAMAGE
    team: str | None = "T1"
    ended: str | None = None  # "closed"/"cancelled"
    ended_at: str = "recent"  # "recent" | "before_boundary" | "at_boundary"


TICKET_EDGES = (
    TicketEdge("open_ticket", 1),
    TicketEdge("open_ticket_disabled_team", 1, team=DISABLED_TEAM),
    TicketEdge("open_ticket_without_team", 1, team=None),
    TicketEdge("locked_type", 1, TYPE_LOCKED),
    TicketEdge("bulletin_open", 1, TYPE_BULLETIN),
    TicketEdge("bulletin_closed", 1, TYPE_BULLETIN, ended="closed"),
    TicketEdge("object_notice", 1, TYPE_NOTICE),
    TicketEdge("closed_before_boundary", 1, ended="closed", ended_at="before_boundary"),
    TicketEdge("closed_at_boundary", 1, ended="closed", ended_at="at_boundary"),
    TicketEdge("cancelled_after_boundary", 1, ended="cancelled"),
    TicketEdge("full_history_closed_old", 0, ended="closed", ended_at="before_boundary"),
    TicketEdge("disabled_object", -1),
    TicketEdge("commissioned_heating", 1, TYPE_HEATING),
)
_TYPES = (TYPE_DAMAGE,) * 11 + (TYPE_HEATING,) * 4 + (TYPE_LOCKED, TYPE_BULLETIN, TYPE_NOTICE)
_TEAMS = (*ENABLED_TEAMS, DISABLED_TEAM, None)


def _random_edge(rnd: random.Random, objects: int) -> TicketEdge:
    r = rnd.random()
    ended = None if r < 0.4 else ("closed" if r < 0.9 else "cancelled")
    return TicketEdge("", rnd.randrange(objects), rnd.choice(_TYPES), rnd.choice(_TEAMS), ended)


def _end_moment(ctx: Context, edge: TicketEdge, reported: datetime, rnd: random.Random) -> datetime:
    if edge.ended_at == "before_boundary":
        return ctx.boundary - ONE_SECOND
    if edge.ended_at == "at_boundary":
        return ctx.boundary
    return min(reported + timedelta(hours=rnd.randint(2, 24 * 200)), ctx.now)


def tickets(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("tickets")
    spec = ctx.spec
    for n in range(spec.tickets):
        edge = TICKET_EDGES[n] if n < len(TICKET_EDGES) else _random_edge(rnd, spec.objects)
        obj = edge.object_index % spec.objects
        reported = (
            ctx.boundary - timedelta(days=rnd.randint(30, 400))
            if edge.ended_at == "before_boundary"
            else ctx.past_moment(rnd, 5 * 365 if edge.ended else 400)
        )
        ctx.reported_at.append(reported)
        ended = _end_moment(ctx, edge, reported, rnd) if edge.ended else None
        bulletin = edge.type_no == TYPE_BULLETIN
        unit = rnd.randrange(spec.units_per_object)
        status = {"closed": STATUS_DONE, "cancelled": STATUS_CANCELLED}.get(
            edge.ended or "", rnd.choice((STATUS_NEW, STATUS_WORK))
        )
        yield {
            "ticket_no": n + 1,
            "type_no": edge.type_no,
            "subject": rnd.choice(BULLETIN_SUBJECTS if bulletin else TICKET_SUBJECTS),
            "description": "Bitte um zeitnahe Prüfung und Rückmeldung.",
            "hint1": "Schlüssel beim Hausmeister" if rnd.random() < 0.2 else None,
            "hint2": None,
            "reporter_person_no": None
            if bulletin
            else person_no(obj * spec.units_per_object + unit),
            "trade": rnd.choice(TRADES),
            "reported_at": reported,
            "object_no": object_number(obj),
            "unit_no": None if bulletin else f"{unit + 1:03d}",
            "technical_object": None,
            "responsible_user_no": f"{rnd.randrange(spec.users) + 1:03d}",
            "team_no": edge.team,
            "due_from": reported.date(),
            "due_until": (reported + timedelta(days=14)).date(),
            "status_no": status,
            "priority_no": rnd.choice(("1", "2", "2", "2", "3", "4")),
            "closed_at": ended if edge.ended == "closed" else None,
            "cancelled_at": ended if edge.ended == "cancelled" else None,
            "modified_at": ended or reported,
            "created_by_user_no": f"{rnd.randrange(spec.users) + 1:03d}",
            "source_ref": None,
        }


def notes(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("notes")
    for n in range(ctx.spec.notes):
        # Note 1 is public and note 2 internal, both on ticket 1 (rule N2 edge).
        ticket = 0 if n < 2 else rnd.randrange(ctx.spec.tickets)
        internal = n == 1 or (n > 1 and rnd.random() < 0.25)
        created = ctx.reported_at[ticket] + timedelta(minutes=rnd.randint(5, 60 * 24 * 30))
        yield {
            "note_id": n + 1,
            "ticket_no": ticket + 1,
            "author_user_no": f"{rnd.randrange(ctx.spec.users) + 1:03d}",
            "created_at": min(created, ctx.now),
            "content": rnd.choice(INTERNAL_NOTE_TEXTS if internal else NOTE_TEXTS),
            "internal": internal,
            "source_ref": None,
        }


def work_orders(ctx: Context) -> Iterator[Row]:
    rnd = ctx.rnd("work_orders")
    heating = TICKET_EDGES.index(next(e for e in TICKET_EDGES if e.name == "commissioned_heating"))
    tickets_ = [heating, *(rnd.randrange(ctx.spec.tickets) for _ in range(ctx.spec.tickets // 4))]
    for n, ticket in enumerate(tickets_):
        placed = min(ctx.reported_at[ticket] + timedelta(days=rnd.randint(0, 5)), ctx.now)
        yield {
            "order_no": n + 1,
            "ticket_no": ticket + 1,
            "placed_at": placed,
            "contractor": rnd.choice(CONTRACTORS),
            "description": "Bitte Schaden begutachten und beheben.",
        }
