"""The fake configuration door validates in the same one place as SqlConfigs (issue 20 item
1, issue 19 item 3): flows, the console and the API can be tested over it."""

from __future__ import annotations

import pytest

from app.errors import InvalidInput
from app.sync.ports import Configs
from tests.fakes import FakeConfigs


async def test_the_fake_door_refuses_every_wrong_value_at_once_and_keeps_the_version() -> None:
    configs: Configs = FakeConfigs()
    before = await configs.view("test")
    with pytest.raises(InvalidInput) as refused:
        await configs.patch(
            "test",
            {
                "objects": {"range": [{"from": "abc", "to": "abc"}]},  # rule C3
                "schedule": {"intervalMinutes": 0},  # rule C14
                "ticketUserNumber": "12",  # rule C11
            },
            "test",
        )
    assert {field for field, _ in refused.value.errors} == {
        "objects.range[0].from",
        "objects.range[0].to",
        "schedule.intervalMinutes",
        "ticketUserNumber",
    }
    assert (await configs.view("test")).version == before.version


async def test_the_fake_door_saves_a_right_value_and_its_secret() -> None:
    configs: Configs = FakeConfigs()
    secret = {"value": "s3cret", "confirmation": "s3cret"}
    view = await configs.patch(
        "test", {"schedule": {"intervalMinutes": 7}, "secrets": {"casaviSecret": secret}}, "op"
    )
    assert view.schedule.interval_minutes == 7
    assert view.secrets.casavi_secret.is_set
    assert await configs.secret("test", "casaviSecret") == "s3cret"
    assert (await configs.settings("test")).version == view.version
    assert [c.actor for c in await configs.changes("test", 5)] == ["op"]
