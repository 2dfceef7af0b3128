"""Per-system contexts: one set of adapters per configuration version, closed when idle."""

from __future__ import annotations

from app.configuration.document import CasaviSettings
from app.sync.context import SystemContexts
from tests.fakes import CountingAdapters, FakeConfigs


async def test_uses_of_one_version_share_one_set_of_adapters() -> None:
    configs, adapters = FakeConfigs(), CountingAdapters()
    contexts = SystemContexts(configs, adapters)
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
    contexts = SystemContexts(configs, adapters)
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
    contexts = SystemContexts(configs, adapters)
    async with contexts.use("test") as test, contexts.use("production") as production:
        assert test.system == "test"
        assert production.system == "production"
    assert len(adapters.built) == 2
    await contexts.aclose()
