"""Tickets and notes, outbound half of both directions (rules N1, N2, S2; echo suppression).

- The **notes stage** runs after the tickets: every public note of a ticket casavi has as a
  ticket goes out as a public ticket message (N1: author, time, content); internal notes
  never do (N2). Fingerprints in the ledger keep an unchanged note from being sent again.
  The author is the note's user when casavi has that user as staff, else the ticket user
  (C11).
- **Echo suppression**: a note the gateway itself wrote into iX-Haus from a casavi message
  (``source_ref`` set, or a note link of origin ``casavi``) is never sent back. Before a
  note goes out for the first time its link (origin ``ixhaus``, the message's reference id)
  is recorded, so the inbound side recognises the message when casavi reports it - even
  when casavi's callback arrives before the answer to the post.
- **Sent tickets** (``TicketBookkeeping``): whenever a ticket is sent, its two-way fields as
  sent become the base for conflict detection; a ticket sent again because it changed in
  iX-Haus is a staff change, which resets the S2 columns.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Container, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import msgspec

from app.domain.conflicts import TWO_WAY_FIELDS, ticket_fields
from app.domain.decisions import Decision, Exclude, Transfer
from app.domain.eligibility.notes import decide_note, note_key
from app.domain.fingerprint import fingerprint
from app.domain.identity import IdentityMap
from app.domain.keys import EntityKind, RecordKey, ledger_key_of
from app.domain.portal import PortalNote, PortalTicket
from app.domain.reasons import Reason
from app.domain.records import NoteRecord
from app.sync.context import SystemContext
from app.sync.outbound.digests import Decided, Digested, InputDigests, decided
from app.sync.outbound.engine import SendEngine
from app.sync.outbound.outcomes import Tally
from app.sync.outbound.senders import PortalSender
from app.sync.ports import LedgerEntry, NoteLink
from app.sync.two_way import SystemNoteLinks, SystemTwoWay

log = logging.getLogger(__name__)

# Notes linked per look-up and insert when many go out at once (a first export).
LINK_BATCH = 250


# -- tickets ---------------------------------------------------------------------------------
# The base also keeps a digest of the one-way fields as sent (ignored by the conflict rules,
# which read only the two-way fields): with it a run tells a staff change from its own echo.
ONE_WAY_KEY = "_one_way_digest"


def one_way_digest(ticket: PortalTicket) -> str:
    """The fields only iX-Haus changes (everything but the two-way fields), as a digest."""
    builtins = msgspec.to_builtins(ticket)
    two_way = set(TWO_WAY_FIELDS.values())
    return fingerprint({k: v for k, v in builtins.items() if k not in two_way})


class TicketBookkeeping:
    """The ticket stage's ``after_send``: the base for conflicts, and the S2 reset.

    A ticket a run sends again changed in iX-Haus. That is a staff change (rule S2) unless
    it is the gateway's own echo: a casavi change the inbound side applied to iX-Haus moves
    the base with it, so a ticket whose two-way fields equal the base and whose one-way
    fields are as last sent changed only by casavi, and its S2 columns stay.
    """

    def __init__(
        self, two_way: SystemTwoWay, clock: Callable[[], datetime], *, staff: bool
    ) -> None:
        self._two_way = two_way
        self._clock = clock
        # A trigger is a staff change in itself (it resets S2 on its own).
        self._reset_on_change = not staff

    async def __call__(self, decision: Transfer[Any], entry: LedgerEntry | None) -> None:
        record = decision.record
        if not isinstance(record, PortalTicket):
            return
        number = decision.key.ticket_number
        conflicts = self._two_way.conflicts
        fields: dict[str, str | None] = {**ticket_fields(record)}
        fields[ONE_WAY_KEY] = one_way_digest(record)
        try:
            if self._reset_on_change and entry is not None and entry.state == "sent":
                base = await conflicts.base(number)
                if any(name not in base or base[name] != value for name, value in fields.items()):
                    # rule S2: sent again because staff changed it in iX-Haus.
                    await self._two_way.portal_activity.reset(number, self._clock())
            # The fields as sent: the base the inbound side measures casavi's changes against.
            await conflicts.set_base(number, fields)
        except Exception as exc:  # the ticket reached casavi; its bookkeeping must not stop a run
            log.warning("bookkeeping of ticket %s failed: %s", number, type(exc).__name__)


class TicketKinds:
    """Watches the ticket decisions of a run: which tickets go to the bulletin board (T5),
    where messages cannot follow them."""

    def __init__(self) -> None:
        self.boards: set[RecordKey] = set()

    async def watch(self, decisions: AsyncIterator[Decided]) -> AsyncIterator[Decided]:
        # A board ticket is never ``Digested``: the ticket source decides those at once.
        async for decision in decisions:
            if isinstance(decision, Transfer) and is_board(decision.record):
                self.boards.add(decision.key)
            yield decision


def is_board(ticket: PortalTicket) -> bool:
    return ticket.kind == "bulletin_board"


# -- notes -----------------------------------------------------------------------------------
def note_author(note: NoteRecord, ids: IdentityMap, ticket_user_no: str | None) -> str | None:
    """The casavi staff member who signs the message: the note's user if casavi has them,
    else the ticket user (C11); None when neither is possible."""
    user = note.author_user_no
    if user and ids.holds(RecordKey.of(EntityKind.USER, user)):
        return user
    return ticket_user_no


def outbound_note(
    note: NoteRecord, *, ticket_transferred: bool, from_portal: bool, author: str | None
) -> Decision[PortalNote]:
    """N1/N2 plus echo suppression: what to do with one iX-Haus note."""
    if from_portal and not note.internal:
        return Exclude(key=note_key(note.id), reason=Reason.NOTE_FROM_PORTAL)
    decision = decide_note(note, ticket_transferred=ticket_transferred)
    if isinstance(decision, Transfer):
        record = msgspec.structs.replace(decision.record, author_user_no=author)
        return Transfer(key=decision.key, record=record)
    return decision


def message_link(note: NoteRecord) -> NoteLink:
    """The link of a note the gateway posts to casavi (the message id is the note's
    reference id, known before it is posted)."""
    return NoteLink(
        ticket_number=str(note.ticket_no),
        ixhaus_note_id=str(note.id),
        casavi_message_id=note_key(note.id).reference_id,
        origin="ixhaus",
    )


async def link_before_send(
    decision: Decision[PortalNote], note: NoteRecord, links: SystemNoteLinks
) -> Decision[PortalNote]:
    """A note about to go out for the first time: an echo (origin ``casavi``) is excluded;
    otherwise the ``ixhaus`` link is recorded before the message exists in casavi."""
    if not isinstance(decision, Transfer):
        return decision
    return (await link_all_before_send([(decision, note)], links))[0]


async def link_all_before_send(
    pending: Sequence[tuple[Transfer[PortalNote], NoteRecord]], links: SystemNoteLinks
) -> list[Decision[PortalNote]]:
    """``link_before_send`` for a batch: one look-up and one insert for all of them."""
    stored = await links.record_many([message_link(note) for _, note in pending])
    decided: list[Decision[PortalNote]] = []
    for decision, note in pending:
        link = stored.get(str(note.id))
        if link is not None and link.origin == "casavi":
            decided.append(Exclude(key=decision.key, reason=Reason.NOTE_FROM_PORTAL))
        else:
            decided.append(decision)
    return decided


async def note_decisions(
    ctx: SystemContext,
    *,
    known: dict[str, LedgerEntry],
    ids: IdentityMap,
    boards: Container[RecordKey],
    links: SystemNoteLinks,
) -> AsyncIterator[Decided]:
    """One decision per iX-Haus note. Only notes about to be sent for the first time cost
    a look-up (in batches): an unchanged note, an internal one or one of an untransferred
    ticket costs nothing. A note follows its ticket when casavi holds the ticket as a ticket
    (not as a board post, T5) - or when the ticket's state is unsettled: the message then
    waits for it (``ParentUnsettled``) instead of being excluded.

    A note's digest covers the note, whether its ticket takes messages, whether it came from
    the portal and its author; a note whose digest is as recorded is not decided again.
    Tickets and users are settled before this stage: what they say is asked once each."""
    ticket_user = ctx.config.ticket_user_no
    digests = InputDigests("note", ctx.config)
    pending: list[tuple[Transfer[PortalNote], NoteRecord, str]] = []
    messageable: dict[int, bool] = {}
    authors: dict[str | None, str | None] = {}
    from_portal_code, kind = Reason.NOTE_FROM_PORTAL.value, EntityKind.NOTE
    async for note in ctx.source.notes():
        key = ledger_key_of(kind, str(note.id))
        entry = known.get(key)
        echo = entry is not None and entry.reason_code == from_portal_code
        transferred = messageable.get(note.ticket_no)
        if transferred is None:
            ticket = RecordKey.ticket(note.ticket_no)
            transferred = messageable[note.ticket_no] = _messageable(ticket, ids, boards)
        if note.author_user_no in authors:
            author = authors[note.author_user_no]
        else:
            author = authors[note.author_user_no] = note_author(note, ids, ticket_user)
        from_portal = bool(note.source_ref) or echo
        digest = digests(note, transferred, from_portal, author)
        decide = partial(_decide_note, note, transferred, from_portal, author)
        if entry is not None and entry.input_digest == digest:
            yield Digested(key, digest, decide)  # decided as recorded (no link needed)
            continue
        decision = decide()
        if isinstance(decision, Transfer) and (entry is None or entry.state != "sent"):
            pending.append((decision, note, digest))
            if len(pending) >= LINK_BATCH:
                for linked in await _linked(pending, links):
                    yield linked
                pending.clear()
            continue
        yield decided(decision, digest)
    if pending:
        for linked in await _linked(pending, links):
            yield linked


def _decide_note(
    note: NoteRecord, transferred: bool, from_portal: bool, author: str | None
) -> Decision[PortalNote]:
    return outbound_note(
        note, ticket_transferred=transferred, from_portal=from_portal, author=author
    )


async def _linked(
    pending: Sequence[tuple[Transfer[PortalNote], NoteRecord, str]], links: SystemNoteLinks
) -> list[Decided]:
    """``link_all_before_send``; a note found to be an echo is no longer what its digest
    decided (the links said so): it goes without one."""
    linked = await link_all_before_send([(d, note) for d, note, _ in pending], links)
    return [
        decided(after, digest) if after is before else after
        for after, (before, _, digest) in zip(linked, pending, strict=True)
    ]


def _messageable(ticket: RecordKey, ids: IdentityMap, boards: Container[RecordKey]) -> bool:
    return ids.named(ticket) and ticket not in boards


async def run_notes_stage(
    ctx: SystemContext, *, engine: SendEngine, two_way: SystemTwoWay, boards: Container[RecordKey]
) -> Tally:
    """The notes stage of a run (after the tickets, so it sees this run's ticket outcomes)."""
    known = await engine.ledger.load(EntityKind.NOTE)
    decisions = note_decisions(
        ctx, known=known, ids=engine.ids, boards=boards, links=two_way.note_links
    )
    return await engine.stage(EntityKind.NOTE, decisions, PortalSender(ctx.portal), known=known)
