"""A DocuWare document piped into casavi by the adapters, both sides validated against their
contracts (openapi/docuware.yaml, openapi/casavi.yaml): rule D3's fields, replacement of a
changed document, adoption of one casavi holds already (never deleted and uploaded again),
and a source that gives the wrong number of bytes stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from app.adapters.casavi import CasaviClient
from app.adapters.casavi.document_portal import CasaviDocuments
from app.adapters.casavi.wire import PropertyWrite
from app.adapters.document_contents import DocuwareContents, docuware_location
from app.adapters.docuware import DocuwareClient, DocuwareProtocolError
from app.domain.identity import IdentityMap
from app.domain.keys import RecordKey
from app.domain.portal import PortalDocument
from app.sandbox.docuware.content import content_digest
from app.sync.ports import DocumentContents, Presence
from tests.support.casavi import (  # noqa: F401 - fixtures
    SimHandle,
    client,
    contract,
    make_client,
    simulator,
)
from tests.support.docuware import (  # noqa: F401 - fixtures
    MAIN_CABINET,
    dw_client,
    dw_contract,
    dw_page_size,
    dw_simulator,
    make_dw_client,
)

KEY = RecordKey.docuware_document(MAIN_CABINET, 1)


async def put(
    portal: CasaviDocuments, record: PortalDocument, contents: DocumentContents, presence: Presence
) -> str:
    return await portal.prepare_document(KEY, record, contents, IdentityMap())(presence)


def lease(size: int = 4096) -> PortalDocument:
    return PortalDocument(
        id=1,
        name="Mietvertrag 1001",
        document_type="Mietvertrag",
        created_at=datetime(2015, 3, 1, 9, 30, tzinfo=UTC),
        object_no="P-1",
        content_location=docuware_location(MAIN_CABINET, 1),
        size_bytes=size,
        content_type="application/pdf",
    )


async def test_docuware_document_reaches_casavi_with_its_fields(
    client: CasaviClient,  # noqa: F811
    dw_client: DocuwareClient,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
) -> None:
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    portal, contents = CasaviDocuments(client), DocuwareContents(dw_client)

    assert await put(portal, lease(), contents, "new") == KEY.reference_id
    stored = await client.documents.get(KEY.reference_id)
    # rule D3: name, type, creation date and the content, byte for byte
    assert stored.name == "Mietvertrag 1001"
    assert stored.document_type_id == "Mietvertrag"
    assert stored.document_date == datetime(2015, 3, 1, 9, 30, tzinfo=UTC)
    assert stored.property_id == "P-1"
    assert (stored.size, stored.sha256) == (4096, content_digest(1, 4096))

    # A changed document replaces the one in casavi (casavi has no document update).
    changed = msgspec.structs.replace(lease(), name="Mietvertrag neu")
    await put(portal, changed, contents, "held")
    assert (await client.documents.get(KEY.reference_id)).name == "Mietvertrag neu"
    assert simulator.state.store.count("documents") == 1


async def test_a_document_casavi_holds_already_is_adopted_not_uploaded_again(
    client: CasaviClient,  # noqa: F811
    dw_client: DocuwareClient,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
) -> None:
    # Sent before a crash, a time limit or the loss of the gateway's state let the ledger
    # record it: a create (409) or a look (presence unknown) adopts the same document.
    await client.properties.create(PropertyWrite(id="P-1", name="Haus"))
    portal, contents = CasaviDocuments(client), DocuwareContents(dw_client)
    await put(portal, lease(), contents, "new")
    writes = await simulator.route_count("POST /v2/documents")
    assert await put(portal, lease(), contents, "new") == KEY.reference_id
    assert await put(portal, lease(), contents, "unknown") == KEY.reference_id
    assert await simulator.route_count("POST /v2/documents") == writes + 1  # the 409 only
    delete = f"DELETE /v2/documents/{KEY.reference_id}"
    assert await simulator.route_count(delete) == 0
    # One that differs (another name) is replaced: a real change.
    await put(portal, msgspec.structs.replace(lease(), name="Neu"), contents, "unknown")
    assert (await client.documents.get(KEY.reference_id)).name == "Neu"
    assert await simulator.route_count(delete) == 1


async def test_a_source_with_other_bytes_than_announced_stores_nothing(
    client: CasaviClient,  # noqa: F811
    dw_client: DocuwareClient,  # noqa: F811
    simulator: SimHandle,  # noqa: F811
) -> None:
    portal, contents = CasaviDocuments(client), DocuwareContents(dw_client)
    with pytest.raises(DocuwareProtocolError):
        await put(portal, lease(size=4000), contents, "new")
    assert simulator.state.store.count("documents") == 0
