"""Per-system contexts: one set of adapters per configuration version, closed when idle."""

from __future__ import annotations

from app.configuration.document import CasaviSettings
from app.domain.keys import EntityKind, RecordKey, TicketNumber
from app.sync.ports import NoteLink, PortalStatus
from app.sync.stores import TwoWay
from tests.fakes import (
    NOW,
    CountingAdapters,
    FakeArchive,
    FakeConfigs,
    FakeConflicts,
    FakeLedger,
    FakeNoteLinks,
    FakePortalActivity,
    FakePortalStates,
    fake_contexts,
)


async def test_uses_of_one_version_share_one_set_of_adapters() -> None:
    configs, adapters = FakeConfigs(), CountingAdapters()
    contexts = fake_contexts(configs, adapters)
    async with contexts.use("test") as first:
        pass
    async with contexts.use("test") as second:
        pass
    assert first is second
    assert adapters.built == [1]
    await contexts.aclose()
    assert adapters.closed == [1]


async def test_a_configuration_change_builds_new_adapters_and_closes_the_old_when_idle() -> None:
    configs, adapters = FakeConfigs(), CountingAdapters()
    contexts = fake_contexts(configs, adapters)
    async with contexts.use("test") as old:
        configs.change("test", casavi=CasaviSettings(base_url="http://127.0.0.1:10"))
        async with contexts.use("test") as new:
            assert new.version == 2
            assert old.version == 1
            assert adapters.closed == []  # the old one is still in use
        assert adapters.closed == []
    assert adapters.closed == [1]
    assert adapters.built == [1, 2]
    await contexts.aclose()
    assert adapters.closed == [1, 2]


async def test_each_system_has_its_own_context() -> None:
    configs, adapters = FakeConfigs(), CountingAdapters()
    contexts = fake_contexts(configs, adapters)
    async with contexts.use("test") as test, contexts.use("production") as production:
        assert test.system == "test"
        assert production.system == "production"
    assert len(adapters.built) == 2
    await contexts.aclose()


async def test_a_context_hands_out_the_stores_bound_to_its_system() -> None:
    ledger, states = FakeLedger(), FakePortalStates()
    contexts = fake_contexts(FakeConfigs(), CountingAdapters(), ledger, states)
    async with contexts.use("test") as ctx:
        assert ctx.stores.system == "test"
        assert await ctx.stores.ledger.is_empty()
        assert await ctx.stores.ledger.load(EntityKind.OBJECT) == {}
        await ctx.stores.portal_states.save([PortalStatus(ticket_number="7", transferred=True)])
        assert (await ctx.stores.portal_states.one(TicketNumber(7))) is not None
    # written under the context's system
    assert await states.one("test", TicketNumber(7)) is not None
    assert await states.one("production", TicketNumber(7)) is None


async def test_the_two_way_stores_are_bound_to_the_context_system_too() -> None:
    links, conflicts, activity, ledger = (
        FakeNoteLinks(),
        FakeConflicts(),
        FakePortalActivity(),
        FakeLedger(),
    )
    two_way = TwoWay(links, conflicts, activity, ledger, FakeArchive())
    contexts = fake_contexts(FakeConfigs(), CountingAdapters(), ledger, two_way=two_way)
    async with contexts.use("production") as ctx:
        bound = ctx.stores.two_way
        assert bound is not None
        await bound.conflicts.set_base(TicketNumber(7), {"subject": "Heizung"})
        await bound.portal_activity.record(TicketNumber(7), NOW, "new message")
        await bound.links.link(RecordKey.ticket(7), "cv-7", None)
        assert await bound.note_links.record(
            NoteLink(
                ticket_number="7", ixhaus_note_id="1", casavi_message_id="m-1", origin="casavi"
            )
        )
    # Everything written under the context's system, nothing under the other one.
    assert await conflicts.base("production", TicketNumber(7)) == {"subject": "Heizung"}
    assert await conflicts.base("test", TicketNumber(7)) == {}
    assert set(activity.activity) == {("production", "7")}
    assert await ledger.entry("production", RecordKey.ticket(7)) is not None
    assert await ledger.entry("test", RecordKey.ticket(7)) is None
    assert await links.by_casavi_message("production", "m-1") is not None
    assert await links.by_casavi_message("test", "m-1") is None
    await contexts.aclose()
