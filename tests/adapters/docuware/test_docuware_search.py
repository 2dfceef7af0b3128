"""Searches: configured filter expressions or the index fields of rule C9, paged."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from app.adapters.docuware import DocuwareClient, DocuwareClientConfig, IndexFieldNames
from app.adapters.docuware.records import to_index
from app.adapters.docuware.search import parse_filter
from app.domain.config import SyncConfig
from app.domain.eligibility.documents import docuware_index_reason
from app.errors import InvalidInput
from tests.support.docuware import CREDITOR_CABINET, MAIN_CABINET, ClientFactory, DwHandle

SEARCH = "POST /DocuWare/Platform/FileCabinets/{}/Query/DialogExpression"


async def _ids(
    client: DocuwareClient, filters: list[str], cabinet: str = MAIN_CABINET
) -> list[int]:
    return sorted([d.id async for d in client.search(cabinet, filters)])


async def test_without_a_filter_only_documents_with_the_three_index_fields_are_found(
    dw_client: DocuwareClient,
) -> None:
    # rule C9: recipient type P or K, object number and recipient header id must be set.
    found = [d async for d in dw_client.search(MAIN_CABINET)]

    assert sorted(d.id for d in found) == list(range(1, 11))  # not 11, 12 or the large 100
    config = SyncConfig()
    for document in found:
        index = to_index(document, IndexFieldNames())
        assert index.recipient_type in ("P", "K")
        assert docuware_index_reason(index, config) is None


async def test_configured_filters_select_the_union_of_their_documents(
    dw_client: DocuwareClient,
) -> None:
    # rule C9: with filters configured, the filters decide, not the index fields.
    assert await _ids(dw_client, ["DOKUMENTTYP=Mietvertrag; OBJEKTNUMMER=1001"]) == [3]
    assert await _ids(dw_client, ["OBJEKTNUMMER=EMPTY()", "EMPFAENGERTYP=X"]) == [11, 12]
    assert await _ids(dw_client, ["OBJEKTNUMMER=1003", "DOKUMENTTYP=Mietvertrag"]) == [
        3, 6, 9, 100,
    ]  # fmt: skip
    assert await _ids(dw_client, ["DWDOCID=4..6"]) == [4, 5, 6]
    assert await _ids(dw_client, ["DWSTOREDATETIME=..2025-01-03T23:59:59"]) == [1, 2]
    assert await _ids(dw_client, ["EMPFAENGERTYP=K"], cabinet=CREDITOR_CABINET) == [13]


async def test_results_are_paged_past_the_servers_page_size(
    dw_client: DocuwareClient, dw_simulator: DwHandle
) -> None:
    # The simulator returns at most 3 per request, though the client asks for 1000.
    found = await _ids(dw_client, ["EMPFAENGER_KOPF_ID=5??; OBJEKTNUMMER=NOTEMPTY()"])

    assert found == list(range(1, 11))
    assert await dw_simulator.route_count(SEARCH.format(MAIN_CABINET)) == 4  # 3 + 3 + 3 + 1


def test_filter_syntax_maps_to_docuware_conditions() -> None:
    expression = parse_filter(" DOKUMENTTYP = Miet* ;DWSTOREDATETIME=2025-01-01.. ;")

    assert [(c.db_name, c.value) for c in expression.condition] == [
        ("DOKUMENTTYP", ["Miet*"]),
        ("DWSTOREDATETIME", ["2025-01-01", None]),
    ]
    for broken in ("", " ; ", "DOKUMENTTYP", "=x", "DOKUMENTTYP="):
        with pytest.raises(InvalidInput):
            parse_filter(broken)


def test_page_size_stays_within_docuwares_limit() -> None:
    # KBA-36909: more than 10,000 per request is refused; the client never asks for it.
    DocuwareClientConfig(base_url="https://x", username="u", password="p", page_size=10_000)
    with pytest.raises(ValueError, match="page_size"):
        DocuwareClientConfig(base_url="https://x", username="u", password="p", page_size=10_001)


async def test_a_count_above_the_limit_is_refused_by_the_simulator(
    dw_raw: httpx.AsyncClient, make_dw_client: ClientFactory
) -> None:
    client = make_dw_client()
    await client.logon()
    token = client.http.tokens.secrets[0]
    response = await dw_raw.post(
        f"/DocuWare/Platform/FileCabinets/{MAIN_CABINET}/Query/DialogExpression",
        params={"dialogId": "00000000-0000-0000-0000-000000000000", "count": 10_001},
        json={"Condition": [{"DBName": "OBJEKTNUMMER", "Value": ["1001"]}]},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    assert "10000" in response.json()["Message"]


async def test_search_dialogs_and_metadata(dw_client: DocuwareClient) -> None:
    dialogs = await dw_client.search_dialogs(MAIN_CABINET)
    document = await dw_client.document(MAIN_CABINET, 3)

    assert len(dialogs) == 1
    assert document.text("DOKUMENTTYP") == "Mietvertrag"
    assert document.text("OBJEKTNUMMER") == "1001"
    assert isinstance(document.index["DWSTOREDATETIME"], datetime)
