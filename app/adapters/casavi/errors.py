"""The casavi adapter's errors: the HTTP engine's tree (``app/adapters/http/errors.py``) with
casavi's name, plus what only casavi has. Codes and titles follow from the kind
("casavi-not-found", "casavi has no such record").

    CasaviError                      base; an HttpError, a GatewayError (502)
    ├── CasaviUnavailable            transport failure or retryable status after all tries (503)
    │   ├── CasaviDeadlineExceeded   the call's overall deadline ran out (or a wait would pass it)
    │   └── CasaviOutcomeUnknown     a non-idempotent request may have been applied (lost answer)
    ├── CasaviAuthFailed             key/secret refused, or 401 again right after re-authenticating
    ├── CasaviRejected               any other 4xx (not retried)
    │   ├── CasaviNotFound           404
    │   └── CasaviConflict           409 (duplicate reference id)
    ├── CasaviProtocolError          answer outside the contract (body, redirect, foreign link)
    ├── DocumentTooLarge             a file above the limit (rule D5); nothing was sent
    └── NotInContract                an operation this casavi collection does not offer
"""

from __future__ import annotations

from app.adapters.http import errors as http


class CasaviError(http.HttpError):
    system = "casavi"


class CasaviUnavailable(CasaviError, http.Unavailable): ...


class CasaviDeadlineExceeded(CasaviUnavailable, http.DeadlineExceeded): ...


class CasaviOutcomeUnknown(CasaviUnavailable, http.OutcomeUnknown): ...


class CasaviAuthFailed(CasaviError, http.AuthFailed): ...


class CasaviRejected(CasaviError, http.Rejected): ...


class CasaviNotFound(CasaviRejected, http.NotFound): ...


class CasaviConflict(CasaviRejected, http.Conflict):
    title = "casavi already has a record with this reference id"


class CasaviProtocolError(CasaviError, http.ProtocolError): ...


class DocumentTooLarge(CasaviError):
    status = 422
    code = "document-too-large"
    title = "document larger than allowed"


class NotInContract(CasaviError):
    """A generic collection operation that this casavi collection does not offer.

    Raised before any request is sent: the call is a programming error, not a casavi failure.
    """

    code = "casavi-not-in-contract"
    title = "operation not in the casavi contract"


CASAVI_ERRORS = http.ErrorFamily(CasaviError)
