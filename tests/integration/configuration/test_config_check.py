"""Connection check per system: casavi authentication, DocuWare, iX-Haus database."""

from __future__ import annotations

from tests.integration.configuration.conftest import RecordingClient, unique_secret
from tests.leakcheck import SecretLeakCheck

CHECK = "/api/v1/systems/test/check"
TEST = "/api/v1/systems/test/config"


def _twice(value: str) -> dict[str, str]:
    return {"value": value, "confirmation": value}


async def test_nothing_configured_reports_not_configured(admin: RecordingClient) -> None:
    response = await admin.post(CHECK)
    assert response.status_code == 200
    report = response.json()
    assert report["system"] == "test"
    assert report["casavi"]["status"] == "not_configured"
    assert "casavi.baseUrl" in report["casavi"]["reason"]
    assert report["docuware"]["status"] == "not_configured"
    assert report["ixhaus"] == {"status": "not_configured", "reason": "not set: ixhausDatabaseUrl"}


async def test_ixhaus_database_ok_and_unreachable(
    admin: RecordingClient,
    ixhaus_sandbox_pg: str,
    closed_port: int,
    leak_check: SecretLeakCheck,
) -> None:
    reachable = leak_check.use(ixhaus_sandbox_pg)
    await admin.patch(TEST, {"secrets": {"ixhausDatabaseUrl": _twice(reachable)}})
    assert (await admin.post(CHECK)).json()["ixhaus"]["status"] == "ok"

    # A mapping onto tables that do not exist (wrong prefix/owner) is reported, not hidden.
    await admin.patch(TEST, {"ixhaus": {"tablePrefix": "nope_"}})
    wrong = (await admin.post(CHECK)).json()["ixhaus"]
    assert wrong["status"] == "failed"
    assert "ProgrammingError" in wrong["reason"]
    await admin.patch(TEST, {"ixhaus": {"tablePrefix": "ixp_"}})

    password = leak_check.use(unique_secret("pw"))
    unreachable = f"postgresql://gw:{password}@127.0.0.1:{closed_port}/ixhaus"
    await admin.patch(TEST, {"secrets": {"ixhausDatabaseUrl": _twice(unreachable)}})
    result = (await admin.post(CHECK)).json()["ixhaus"]
    assert result["status"] == "failed"
    assert result["reason"].startswith("cannot read the iX-Haus catalogue")


async def test_casavi_unreachable_is_failed_with_a_reason(
    admin: RecordingClient, closed_port: int, leak_check: SecretLeakCheck
) -> None:
    key = leak_check.use(unique_secret("key"))
    secret = leak_check.use(unique_secret("secret"))
    await admin.patch(
        TEST,
        {
            "casavi": {"baseUrl": f"http://127.0.0.1:{closed_port}"},
            "secrets": {"casaviApiKey": _twice(key), "casaviSecret": _twice(secret)},
        },
    )
    result = (await admin.post(CHECK)).json()["casavi"]
    assert result == {
        "status": "failed",
        "reason": "cannot reach casavi: ConnectError after 1 tries (POST /v2/authenticate)",
    }


async def test_docuware_switched_off(admin: RecordingClient) -> None:
    # rule C13: no DocuWare sync
    await admin.patch(TEST, {"support": {"noDocuwareSync": True}})
    result = (await admin.post(CHECK)).json()["docuware"]
    assert result == {
        "status": "not_configured",
        "reason": "DocuWare sync is switched off (rule C13)",
    }


async def test_casavi_authentication_against_the_simulator(
    admin: RecordingClient, leak_check: SecretLeakCheck, tmp_path: object
) -> None:
    from pathlib import Path

    from app.sandbox.casavi import SANDBOX_KEY, SANDBOX_SECRET, create_casavi_simulator
    from app.sandbox.casavi.server import ServerThread

    simulator = create_casavi_simulator(Path(str(tmp_path)) / "casavi.db")
    server = ServerThread(simulator).start()
    try:
        leak_check.use(SANDBOX_SECRET)
        await admin.patch(
            TEST,
            {
                "casavi": {"baseUrl": server.base_url},
                "secrets": {
                    "casaviApiKey": _twice(SANDBOX_KEY),
                    "casaviSecret": _twice(SANDBOX_SECRET),
                },
            },
        )
        assert (await admin.post(CHECK)).json()["casavi"] == {
            "status": "ok",
            "reason": "authenticated with casavi",
        }
        wrong = leak_check.use(unique_secret("wrong"))
        await admin.patch(TEST, {"secrets": {"casaviSecret": _twice(wrong)}})
        assert (await admin.post(CHECK)).json()["casavi"] == {
            "status": "failed",
            "reason": "casavi rejected the API key or secret",
        }
    finally:
        server.stop()
        simulator.simulator.store.close()


async def test_docuware_logon_and_cabinets_against_the_simulator(
    admin: RecordingClient, leak_check: SecretLeakCheck
) -> None:
    # The check logs on for real and lists the cabinets; the password never shows up.
    from app.sandbox.docuware import (
        SANDBOX_PASSWORD,
        SANDBOX_USER,
        ServerThread,
        create_docuware_simulator,
    )
    from app.sandbox.docuware.catalogue import MAIN_CABINET

    app = create_docuware_simulator()
    server = ServerThread(app).start()
    try:
        leak_check.use(SANDBOX_PASSWORD)
        await admin.patch(
            TEST,
            {
                "docuware": {
                    "baseUrl": server.base_url,
                    "username": SANDBOX_USER,
                    "fileCabinetId": MAIN_CABINET,
                },
            },
        )
        missing = (await admin.post(CHECK)).json()["docuware"]
        assert missing == {"status": "not_configured", "reason": "not set: docuwarePassword"}
        await admin.patch(TEST, {"secrets": {"docuwarePassword": _twice(SANDBOX_PASSWORD)}})
        assert (await admin.post(CHECK)).json()["docuware"] == {
            "status": "ok",
            "reason": "logged on to DocuWare; file cabinet 'Mieterakten' (2 cabinets usable)",
        }
        await admin.patch(TEST, {"docuware": {"fileCabinetId": "no-such-cabinet"}})
        unknown = (await admin.post(CHECK)).json()["docuware"]
        assert unknown["status"] == "failed"
        assert "'no-such-cabinet' is not among the 2 cabinets" in unknown["reason"]
        wrong = leak_check.use(unique_secret("dw-wrong"))
        await admin.patch(TEST, {"secrets": {"docuwarePassword": _twice(wrong)}})
        refused = (await admin.post(CHECK)).json()["docuware"]
        assert refused["status"] == "failed"
        assert refused["reason"].startswith("DocuWare refused the logon")
    finally:
        server.stop()


async def test_docuware_app_registration_in_the_settings(
    admin: RecordingClient, leak_check: SecretLeakCheck
) -> None:
    # Issue 18: a registered DocuWare application (client_credentials) instead of a user;
    # the organisation's id goes to DocuWare as OrgId.
    from app.sandbox.docuware import (
        APP_CLIENT_ID,
        APP_CLIENT_SECRET,
        ORGANIZATION_ID,
        ServerThread,
        create_docuware_simulator,
    )
    from app.sandbox.docuware.catalogue import MAIN_CABINET

    app = create_docuware_simulator()
    server = ServerThread(app).start()
    try:
        leak_check.use(APP_CLIENT_SECRET)
        await admin.patch(
            TEST,
            {
                "docuware": {
                    "baseUrl": server.base_url,
                    "grant": "client_credentials",
                    "clientId": APP_CLIENT_ID,
                    "organization": ORGANIZATION_ID,
                    "fileCabinetId": MAIN_CABINET,
                },
            },
        )
        missing = (await admin.post(CHECK)).json()["docuware"]
        assert missing == {"status": "not_configured", "reason": "not set: docuwareClientSecret"}
        await admin.patch(TEST, {"secrets": {"docuwareClientSecret": _twice(APP_CLIENT_SECRET)}})
        assert (await admin.post(CHECK)).json()["docuware"]["status"] == "ok"
        assert app.simulator.stats.by_route["GET /DocuWare/Platform/FileCabinets"] >= 1
        await admin.patch(TEST, {"docuware": {"organization": "another-organisation"}})
        assert (await admin.post(CHECK)).json()["docuware"]["status"] == "failed"
        bad = await admin.patch(TEST, {"docuware": {"grant": "kerberos"}})
        assert bad.status_code == 422
    finally:
        server.stop()
