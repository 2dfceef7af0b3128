"""Validation against what iX-Haus knows, once its database is configured (rules C3–C11)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from app.sandbox.ixhaus.profiles import TICKET_USER_NO
from tests.conftest import seeded_ixhaus_database
from tests.integration.configuration.conftest import RecordingClient, unique_secret
from tests.leakcheck import SecretLeakCheck

TEST = "/api/v1/systems/test/config"


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


@pytest.fixture
async def connected(
    admin: RecordingClient, ixhaus_sandbox_pg: str, leak_check: SecretLeakCheck
) -> RecordingClient:
    leak_check.use(ixhaus_sandbox_pg)
    response = await admin.patch(
        TEST, {"secrets": {"ixhausDatabaseUrl": _twice(ixhaus_sandbox_pg)}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["catalogueCheck"]["status"] == "validated"
    return admin


async def test_known_references_are_accepted(connected: RecordingClient) -> None:
    response = await connected.patch(
        TEST,
        {
            "objects": {
                "range": [{"from": "1001", "to": "1003"}],
                "fullHistoryRange": [{"from": "1001", "to": "1001"}],
            },  # rules C3 C4
            "personTypes": ["MIETER", "EIGENTUEMER"],  # rule C5
            "documentTypes": {"withTimeFilter": ["NKA"], "withoutTimeFilter": ["MV"]},  # C6 C7
            "licences": {"komfortpaket": True},
            "userTeams": ["T1", "T2"],  # rule C8
            "ticketUserNumber": TICKET_USER_NO,  # rule C11
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["catalogueCheck"] == {
        "status": "validated",
        "reason": "checked against iX-Haus",
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"objects": {"range": [{"from": "7000", "to": "7999"}]}}, "objects.range[0]"),  # C3
        (
            {"objects": {"fullHistoryRange": [{"from": "9999", "to": "9999"}]}},
            "objects.fullHistoryRange[0]",
        ),  # rule C4
        ({"personTypes": ["HAUSTIER"]}, "personTypes"),  # rule C5
        ({"documentTypes": {"withTimeFilter": ["XYZ"]}}, "documentTypes.withTimeFilter"),  # C6
        (
            {"documentTypes": {"withoutTimeFilter": ["XYZ"]}},
            "documentTypes.withoutTimeFilter",
        ),  # rule C7
        ({"licences": {"komfortpaket": True}, "userTeams": ["T99"]}, "userTeams"),  # rule C8
        ({"ticketUserNumber": "777"}, "ticketUserNumber"),  # rule C11: the user must exist
    ],
)
async def test_unknown_references_are_422(
    connected: RecordingClient, patch: dict[str, Any], field: str
) -> None:
    response = await connected.patch(TEST, patch)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "iX-Haus" in errors[0]["message"]


async def test_unreachable_ixhaus_still_saves_and_says_so(
    admin: RecordingClient, closed_port: int, leak_check: SecretLeakCheck
) -> None:
    password = leak_check.use(unique_secret("pw"))
    url = f"postgresql://gw:{password}@127.0.0.1:{closed_port}/ixhaus"
    response = await admin.patch(
        TEST, {"personTypes": ["WHATEVER"], "secrets": {"ixhausDatabaseUrl": _twice(url)}}
    )
    # An administrator must be able to correct a wrong URL, so the save is not blocked.
    assert response.status_code == 200, response.text
    check = response.json()["catalogueCheck"]
    assert check["status"] == "unavailable"
    assert check["reason"].startswith("cannot read the iX-Haus catalogue")


async def test_table_names_must_be_interface_tables(admin: RecordingClient) -> None:
    response = await admin.patch(TEST, {"ixhaus": {"tableNames": {"banana": "V_BANANA"}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ixhaus.tableNames.banana"


async def test_connection_check_reads_the_interface(connected: RecordingClient) -> None:
    result = (await connected.post("/api/v1/systems/test/check")).json()["ixhaus"]
    assert result["status"] == "ok", result
    assert result["reason"].startswith("read the iX-Haus interface: 4 objects")


async def _remove_owners(url: str) -> None:
    from sqlalchemy import delete, func, select

    from app.adapters.ixhaus.schema import IxhausTables
    from app.adapters.store.database import create_engine
    from app.environment import normalise_database_url

    tables = IxhausTables()
    engine = create_engine(normalise_database_url(url))
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(tables.owners))
            await conn.execute(
                delete(tables.persons).where(tables.persons.c.person_type == "EIGENTUEMER")
            )
            left = select(func.count()).where(tables.persons.c.person_type == "EIGENTUEMER")
            assert await conn.scalar(left) == 0
    finally:
        await engine.dispose()


@pytest.fixture
def ixhaus_without_owners() -> Iterator[str]:
    with seeded_ixhaus_database() as url:
        asyncio.run(_remove_owners(url))
        yield url


async def test_a_type_can_be_enabled_before_its_first_record_exists(
    admin: RecordingClient, ixhaus_without_owners: str, leak_check: SecretLeakCheck
) -> None:
    # rule C5: person types are checked against iX-Haus's type table, not the types in use -
    # the owners' type is enabled before the first owner is entered in iX-Haus
    leak_check.use(ixhaus_without_owners)
    response = await admin.patch(
        TEST,
        {
            "personTypes": ["MIETER", "EIGENTUEMER", "VERWALTER"],
            "secrets": {"ixhausDatabaseUrl": _twice(ixhaus_without_owners)},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["catalogueCheck"]["status"] == "validated"
    assert response.json()["personTypes"] == ["MIETER", "EIGENTUEMER", "VERWALTER"]


async def test_a_type_code_longer_than_the_interface_column_is_refused(
    admin: RecordingClient,
) -> None:
    # rules C5-C7: a code wider than iX-Haus's 20-character columns can never match
    too_long = await admin.patch(TEST, {"documentTypes": {"withTimeFilter": ["X" * 21]}})
    assert too_long.status_code in (400, 422), too_long.text
    assert "withTimeFilter" in too_long.text
    fits = await admin.patch(TEST, {"documentTypes": {"withTimeFilter": ["X" * 20]}})
    assert fits.status_code == 200, fits.text
