"""SyncConfig: object ranges (C3, C4), validation, team filter switch (C8)."""

import msgspec
import pytest

from app.domain.config import Licences, SyncConfig, object_in_range, ranges


@pytest.mark.parametrize(
    ("object_no", "entries", "expected"),
    [
        ("1001", ("1001",), True),
        ("1050", ("1001-1099",), True),
        ("1099", ("1001-1099",), True),
        ("1100", ("1001-1099",), False),
        ("999", ("1001-1099",), False),
        ("99", ("10-100",), True),  # numeric, not text, comparison
        ("A7", ("A1-A9",), True),
        ("2000", (), False),
    ],
)
def test_object_in_range(object_no: str, entries: tuple[str, ...], expected: bool) -> None:
    # rule C3: object range entries are single numbers or inclusive ranges
    assert object_in_range(object_no, ranges(*entries)) is expected


def test_full_history_objects_are_enabled_too() -> None:
    # rule C4: an object with full ticket history is a synchronised object as well
    config = SyncConfig(object_range=ranges("1001-1010"), object_range_full_history=ranges("2001"))
    assert config.object_enabled("2001")
    assert config.full_history("2001")
    assert config.object_enabled("1005")
    assert not config.full_history("1005")
    assert not config.object_enabled("3000")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"portal_lead_days": -1},
        {"deletion_days": -1},
        {"ticket_user_no": "12"},
        {"ticket_user_no": "abc"},
        {"max_document_bytes": 0},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_invalid_values_fail_fast(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several distinct messages
        SyncConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("entry", ["1001-", "", "-1001", " - "])
def test_invalid_range_entries_fail_fast(entry: str) -> None:
    with pytest.raises(ValueError, match="invalid object range"):
        ranges(entry)


def test_defaults_and_json_round_trip() -> None:
    config = SyncConfig()
    assert config.portal_lead_days == 14
    assert config.deletion_days == 90
    assert config.max_document_bytes == 100 * 1024 * 1024
    assert not config.no_docuware_sync
    assert not config.keep_payloads
    encoded = msgspec.json.encode(config)
    assert msgspec.json.decode(encoded, type=SyncConfig) == config


def test_team_filter_needs_komfortpaket() -> None:
    # rule C8: teams are only honoured with the Komfortpaket licence
    assert not SyncConfig(user_teams=("T1",)).teams_filtered()
    licensed = SyncConfig(user_teams=("T1",), licences=Licences(komfortpaket=True))
    assert licensed.teams_filtered()
    assert not SyncConfig(licences=Licences(komfortpaket=True)).teams_filtered()


def test_decoding_enforces_constraints_and_schema_is_documented() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"portal_lead_days": -3}', type=SyncConfig)
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"ticket_user_no": "1234"}', type=SyncConfig)
    schema = msgspec.json.schema(SyncConfig)
    props = schema["$defs"]["SyncConfig"]["properties"]
    assert props["portal_lead_days"]["minimum"] == 0
    assert "ranges" in props["object_range"]["description"]
    ranged = SyncConfig(object_range=ranges("1001-1009", "2001"))
    assert msgspec.json.decode(msgspec.json.encode(ranged), type=SyncConfig) == ranged
