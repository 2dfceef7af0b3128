"""The common error tree: which kind a final answer becomes, how each system's classes hang
on it (so ``except CasaviNotFound`` and ``except NotFound`` both work), and that the codes,
titles and statuses the API shows are the ones the two trees had before they were merged."""

from __future__ import annotations

import httpx
import pytest

from app.adapters import casavi, docuware
from app.adapters.casavi.errors import CASAVI_ERRORS
from app.adapters.docuware.errors import DOCUWARE_ERRORS, refusal
from app.adapters.http.errors import (
    KINDS,
    Answer,
    AuthFailed,
    Conflict,
    HttpError,
    NotFound,
    OutcomeUnknown,
    ProtocolError,
    Rejected,
    Unavailable,
)
from app.errors import GatewayError
from tests.support.http_example import (
    EngineFactory,
    ExampleError,
    ExampleNotFound,
    ExampleRejected,
    Handler,
    Server,
)


def _always(response: httpx.Response) -> Handler:
    async def respond(request: httpx.Request) -> httpx.Response:
        return response

    return respond


@pytest.mark.parametrize(
    ("status", "kind", "named", "detail"),
    [
        (400, Rejected, "ExampleRejected", "Example rejected the request"),
        (404, NotFound, "ExampleNotFound", "Example rejected the request"),
        (422, Rejected, "ExampleRejected", "Example rejected the request"),
        (500, Unavailable, "ExampleUnavailable", "Example server error"),
        (302, ProtocolError, "ExampleProtocolError", "unexpected redirect"),
    ],
)
async def test_a_final_answer_becomes_its_kind_in_the_systems_family(
    make_engine: EngineFactory,
    server: Server,
    status: int,
    kind: type[HttpError],
    named: str,
    detail: str,
) -> None:
    server.respond = _always(httpx.Response(status, text="why"))
    engine = make_engine()

    with pytest.raises(kind) as caught:
        await engine.request("GET", "/things/1")

    error = caught.value
    assert type(error).__name__ == named
    assert isinstance(error, ExampleError)
    assert (error.method, error.path, error.http_status) == ("GET", "/things/1", status)
    assert str(error) == f"{detail} (GET /things/1 -> {status})"
    assert server.calls_to("/things/1") == 1  # none of these is retried


async def test_a_kind_the_system_lacks_falls_back_to_its_ancestor(
    make_engine: EngineFactory, server: Server
) -> None:
    server.respond = _always(httpx.Response(409))
    engine = make_engine()

    with pytest.raises(ExampleRejected) as caught:
        await engine.request("PUT", "/things/1")

    assert not isinstance(caught.value, Conflict)  # the example system has no Conflict class


async def test_an_answer_outside_the_contract_is_a_protocol_error(
    make_engine: EngineFactory,
) -> None:
    engine = make_engine()
    response = await engine.request("GET", "/things/1")

    with pytest.raises(ProtocolError) as caught:
        engine.decode(response, list[int])

    assert isinstance(caught.value, ExampleError)


def test_codes_and_titles_follow_from_the_system_and_the_kind() -> None:
    assert (ExampleNotFound.code, ExampleNotFound.title) == (
        "example-not-found",
        "Example has no such record",
    )
    assert ExampleNotFound.status == 502  # what the gateway's edge answers for a failed call


# status, code, title as the two trees had them before the engine (app/api shows them).
BEFORE = {
    casavi.CasaviError: (502, "casavi-error", "casavi request failed"),
    casavi.CasaviUnavailable: (503, "casavi-unavailable", "casavi unavailable"),
    casavi.CasaviDeadlineExceeded: (
        503,
        "casavi-deadline-exceeded",
        "casavi call exceeded its deadline",
    ),
    casavi.CasaviOutcomeUnknown: (
        503,
        "casavi-outcome-unknown",
        "casavi may have applied the request",
    ),
    casavi.CasaviAuthFailed: (502, "casavi-auth-failed", "casavi refused our credentials"),
    casavi.CasaviRejected: (502, "casavi-rejected", "casavi rejected the request"),
    casavi.CasaviNotFound: (502, "casavi-not-found", "casavi has no such record"),
    casavi.CasaviConflict: (
        502,
        "casavi-conflict",
        "casavi already has a record with this reference id",
    ),
    casavi.CasaviProtocolError: (
        502,
        "casavi-protocol-error",
        "casavi answered outside the contract",
    ),
    casavi.DocumentTooLarge: (422, "document-too-large", "document larger than allowed"),
    docuware.DocuwareError: (502, "docuware-error", "DocuWare request failed"),
    docuware.DocuwareUnavailable: (503, "docuware-unavailable", "DocuWare unavailable"),
    docuware.DocuwareDeadlineExceeded: (
        503,
        "docuware-deadline-exceeded",
        "DocuWare call exceeded its deadline",
    ),
    docuware.DownloadInterrupted: (
        503,
        "docuware-download-interrupted",
        "DocuWare download broke off; it can be started again",
    ),
    docuware.DocuwareAuthFailed: (502, "docuware-auth-failed", "DocuWare refused our credentials"),
    docuware.LicencesExhausted: (
        503,
        "docuware-licences-exhausted",
        "DocuWare has no free licence for a logon",
    ),
    docuware.DocuwareRejected: (502, "docuware-rejected", "DocuWare rejected the request"),
    docuware.DocuwareNotFound: (502, "docuware-not-found", "DocuWare has no such record"),
    docuware.DocuwareProtocolError: (
        502,
        "docuware-protocol-error",
        "DocuWare answered outside the contract",
    ),
}


@pytest.mark.parametrize("cls", list(BEFORE), ids=lambda cls: cls.__name__)
def test_the_api_shows_what_it_showed_before(cls: type[HttpError]) -> None:
    assert (cls.status, cls.code, cls.title) == BEFORE[cls]
    assert issubclass(cls, GatewayError)


@pytest.mark.parametrize(
    ("family", "base"),
    [(CASAVI_ERRORS, casavi.CasaviError), (DOCUWARE_ERRORS, docuware.DocuwareError)],
)
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_each_systems_class_is_of_its_kind_and_its_system(
    family: object, base: type[HttpError], kind: type[HttpError]
) -> None:
    cls = family.of(kind)  # type: ignore[attr-defined]
    assert issubclass(cls, base)
    if base is docuware.DocuwareError and kind in DOCUWARE_LACKS:
        # DocuWare calls are all reads: it never had a Conflict or an unknown outcome.
        assert cls is DOCUWARE_LACKS[kind]
    else:
        assert issubclass(cls, kind)


DOCUWARE_LACKS = {
    Conflict: docuware.DocuwareRejected,
    OutcomeUnknown: docuware.DocuwareUnavailable,
}


def test_docuware_tells_a_missing_licence_from_a_refused_logon() -> None:
    licences = Answer("POST", "/token", 400, "None of the registered licenses are available")
    refused = Answer("POST", "/token", 400, '{"error":"invalid_grant"}')
    forbidden = Answer("GET", "/DocuWare/Platform/FileCabinets", 403, "no")

    missing = refusal(licences, logon=True)
    assert isinstance(missing, docuware.LicencesExhausted)
    assert missing.retry_after == 120
    assert type(refusal(refused, logon=True)) is docuware.DocuwareAuthFailed
    assert isinstance(refusal(refused._replace(status=401), logon=False), AuthFailed)
    assert refusal(forbidden, logon=False) is None  # an ordinary rejection, not a refusal
