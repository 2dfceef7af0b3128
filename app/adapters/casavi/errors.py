"""The casavi adapter's error tree.

Every error carries the HTTP method, the URL path (never the query, never a header), the
status when there was one and the response body truncated to ``BODY_LIMIT`` characters with
known secrets blanked out. Tokens, keys and secrets never appear in messages or reprs.

    CasaviError                      base; a GatewayError (500)
    ├── CasaviUnavailable            transport failure or retryable status after all tries (503)
    │   ├── CasaviDeadlineExceeded   the call's overall deadline ran out (or a wait would pass it)
    │   └── CasaviOutcomeUnknown     a non-idempotent request may have been applied (lost answer)
    ├── CasaviAuthFailed             key/secret refused, or 401 again right after re-authenticating
    ├── CasaviRejected               any other 4xx (not retried)
    │   ├── CasaviNotFound           404
    │   └── CasaviConflict           409 (duplicate reference id)
    ├── CasaviProtocolError          answer outside the contract (body, redirect, foreign link)
    └── DocumentTooLarge             a file above the limit (rule D5); nothing was sent
"""

from __future__ import annotations

from collections.abc import Iterable

from app.errors import GatewayError

BODY_LIMIT = 500


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class CasaviError(GatewayError):
    status = 502
    code = "casavi-error"
    title = "casavi request failed"

    def __init__(
        self,
        detail: str,
        *,
        method: str = "",
        path: str = "",
        http_status: int | None = None,
        body: str = "",
    ) -> None:
        self.method = method
        self.path = path
        # Seconds casavi asked us to wait (429 Retry-After) when that outlasts the deadline.
        self.retry_after: float | None = None
        self.http_status = http_status
        self.body = body[:BODY_LIMIT]
        where = f"{method} {path}".strip()
        status = f" -> {http_status}" if http_status is not None else ""
        text = f"{detail} ({where}{status})" if where else detail
        super().__init__(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class CasaviUnavailable(CasaviError):
    status = 503
    code = "casavi-unavailable"
    title = "casavi unavailable"


class CasaviDeadlineExceeded(CasaviUnavailable):
    code = "casavi-deadline-exceeded"
    title = "casavi call exceeded its deadline"


class CasaviOutcomeUnknown(CasaviUnavailable):
    code = "casavi-outcome-unknown"
    title = "casavi may have applied the request"


class CasaviAuthFailed(CasaviError):
    code = "casavi-auth-failed"
    title = "casavi refused our credentials"


class CasaviRejected(CasaviError):
    code = "casavi-rejected"
    title = "casavi rejected the request"


class CasaviNotFound(CasaviRejected):
    code = "casavi-not-found"
    title = "casavi has no such record"


class CasaviConflict(CasaviRejected):
    code = "casavi-conflict"
    title = "casavi already has a record with this reference id"


class CasaviProtocolError(CasaviError):
    code = "casavi-protocol-error"
    title = "casavi answered outside the contract"


class DocumentTooLarge(CasaviError):
    status = 422
    code = "document-too-large"
    title = "document larger than allowed"


def rejected_for(status: int) -> type[CasaviRejected]:
    if status == 404:
        return CasaviNotFound
    if status == 409:
        return CasaviConflict
    return CasaviRejected


class NotInContract(CasaviError):
    """A generic collection operation that this casavi collection does not offer.

    Raised before any request is sent: the call is a programming error, not a casavi failure.
    """

    code = "casavi-not-in-contract"
    title = "operation not in the casavi contract"
