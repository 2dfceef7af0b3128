"""The DocuWare adapter's errors: the HTTP engine's tree (``app/adapters/http/errors.py``)
with DocuWare's name, plus what only DocuWare has. Codes and titles follow from the kind
("docuware-not-found", "DocuWare has no such record").

    DocuwareError                     base; an HttpError, a GatewayError (502)
    ├── DocuwareUnavailable           transport failure or retryable status after all tries (503)
    │   ├── DocuwareDeadlineExceeded  the call's overall deadline ran out (or a wait would pass it)
    │   └── DownloadInterrupted       the connection broke mid-body; download again from the start
    ├── DocuwareAuthFailed            credentials refused, or 401 again right after a renewal
    │   └── LicencesExhausted         DocuWare has no free licence for another logon (KBA-36918)
    ├── DocuwareRejected              any other 4xx, 409 included (not retried)
    │   └── DocuwareNotFound          404
    └── DocuwareProtocolError         answer outside the contract (body, redirect)
"""

from __future__ import annotations

from app.adapters.http import errors as http

# KBA-36918: a logon again within two minutes of a log-off can fail for want of a licence.
LICENCE_BLOCK_SECONDS = 120.0


class DocuwareError(http.HttpError):
    system = "DocuWare"


class DocuwareUnavailable(DocuwareError, http.Unavailable): ...


class DocuwareDeadlineExceeded(DocuwareUnavailable, http.DeadlineExceeded): ...


class DownloadInterrupted(DocuwareUnavailable):
    code = "docuware-download-interrupted"
    title = "DocuWare download broke off; it can be started again"


class DocuwareAuthFailed(DocuwareError, http.AuthFailed): ...


class LicencesExhausted(DocuwareAuthFailed):
    status = 503
    code = "docuware-licences-exhausted"
    title = "DocuWare has no free licence for a logon"


class DocuwareRejected(DocuwareError, http.Rejected): ...


class DocuwareNotFound(DocuwareRejected, http.NotFound): ...


class DocuwareProtocolError(DocuwareError, http.ProtocolError): ...


DOCUWARE_ERRORS = http.ErrorFamily(DocuwareError)


def refusal(answer: http.Answer, *, logon: bool) -> DocuwareAuthFailed | None:
    """Every final answer to the logon, and a 401 to any call, is a refusal; DocuWare says in
    the body when it is for want of a licence ("None of the registered licenses are
    available"), which a wait can cure."""
    if not (logon or answer.status == 401):
        return None
    if "licen" in answer.body.lower():
        error = LicencesExhausted.answered("no free DocuWare licence", answer)
        error.retry_after = LICENCE_BLOCK_SECONDS
        return error
    return DocuwareAuthFailed.answered("DocuWare refused the logon", answer)
