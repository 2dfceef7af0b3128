"""Rule C13's support archive and rule P4's scrub, over fakes."""

from __future__ import annotations

from typing import Any

import msgspec

from app.domain.decisions import Transfer
from app.domain.keys import EntityKind, RecordKey
from app.domain.portal import PersonPayload, PortalPerson
from app.domain.records import ObjectRecord
from app.sync.outbound.archive import Archiver
from app.sync.two_way import SystemArchive
from tests.fakes import FakeArchive

PERSON = RecordKey.person("100001")


def person(*, anonymised: bool = False) -> PersonPayload:
    return PersonPayload(
        person=PortalPerson(
            number="100001",
            portal_user=True,
            anonymised=anonymised,
            last_name=None if anonymised else "Müller",
            email=None if anonymised else "mueller@example.org",
        ),
        contracts=(),
    )


class Sent:
    """What the send engine calls the archiver with after each record written."""

    def __init__(self, archive: FakeArchive, *, keep: bool) -> None:
        self._hook = Archiver(SystemArchive(archive, "test"), run_id=7, keep_payloads=keep)

    async def put(self, key: RecordKey, record: Any) -> None:
        await self._hook(Transfer(key=key, record=record), None)


def archiving(archive: FakeArchive, *, keep: bool) -> Sent:
    return Sent(archive, keep=keep)


async def test_with_the_switch_on_every_payload_sent_is_archived_per_record_and_run() -> None:
    # rule C13 (@mpSave): keep the transfer payloads for support
    archive = FakeArchive()
    portal = archiving(archive, keep=True)
    await portal.put(PERSON, person())
    obj = RecordKey.of(EntityKind.OBJECT, "1001")
    await portal.put(obj, ObjectRecord(number="1001", name="Haus"))
    assert [(s, run, key) for s, run, key, _ in archive.kept] == [
        ("test", 7, PERSON),
        ("test", 7, obj),
    ]
    assert msgspec.json.decode(archive.kept[0][3])["person"]["last_name"] == "Müller"


async def test_with_the_switch_off_nothing_is_archived() -> None:
    archive = FakeArchive()
    await archiving(archive, keep=False).put(PERSON, person())
    assert archive.kept == []


async def test_an_anonymised_person_leaves_no_readable_payload_behind() -> None:
    # rule P4: the anonymisation reaches the archive too, whatever the switch says now
    archive = FakeArchive()
    await archiving(archive, keep=True).put(PERSON, person())
    await archiving(archive, keep=False).put(PERSON, person(anonymised=True))
    assert archive.scrubbed == [("test", PERSON)]
    assert archive.kept == []
