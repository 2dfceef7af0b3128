"""DocuWare app registration (issue 18, item 6): the ``client_credentials`` grant of a
registered application beside the password and trusted grants, its secret never in a log or
an error; the organisation's id sent as ``OrgId`` where file cabinets are listed."""

from __future__ import annotations

import logging

import pytest

from app.adapters.docuware import DocuwareAuthFailed, DocuwareClientConfig, DocuwareRejected
from app.sandbox.docuware import (
    APP_CLIENT_ID,
    APP_CLIENT_SECRET,
    ORGANIZATION_ID,
    SANDBOX_USER,
)
from tests.support.docuware import ClientFactory, DwHandle


async def test_a_registered_application_logs_on_with_its_own_id_and_secret(
    make_dw_client: ClientFactory, dw_simulator: DwHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_dw_client(
        username="",
        password="",
        grant="client_credentials",
        client_id=APP_CLIENT_ID,
        client_secret=APP_CLIENT_SECRET,
    )
    cabinets = await client.cabinets()
    assert [c.name for c in cabinets] == ["Mieterakten", "Kreditoren"]
    assert [s.user for s in dw_simulator.state.sessions.values()] == [SANDBOX_USER]
    assert APP_CLIENT_SECRET not in caplog.text
    assert APP_CLIENT_SECRET not in repr(client.config)


async def test_a_wrong_application_secret_is_refused_without_showing_it(
    make_dw_client: ClientFactory,
) -> None:
    client = make_dw_client(
        username="",
        password="",
        grant="client_credentials",
        client_id=APP_CLIENT_ID,
        client_secret="not-the-secret-4711",
    )
    with pytest.raises(DocuwareAuthFailed) as refused:
        await client.logon()
    assert "not-the-secret-4711" not in str(refused.value)


def test_each_grant_names_what_it_needs() -> None:
    with pytest.raises(ValueError, match="registered client id and secret"):
        DocuwareClientConfig(base_url="https://x", grant="client_credentials", client_secret="s")
    with pytest.raises(ValueError, match="needs username and password"):
        DocuwareClientConfig(base_url="https://x", username="u")
    form = DocuwareClientConfig(
        base_url="https://x", grant="client_credentials", client_id="app", client_secret="s"
    ).logon_form()
    assert form == {
        "grant_type": "client_credentials",
        "scope": "docuware.platform",
        "client_id": "app",
        "client_secret": "s",
    }


async def test_the_organisation_is_sent_as_orgid(make_dw_client: ClientFactory) -> None:
    assert await make_dw_client(organization_id=ORGANIZATION_ID).cabinets()
    with pytest.raises(DocuwareRejected):
        await make_dw_client(organization_id="another-organisation").cabinets()
