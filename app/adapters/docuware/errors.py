"""The DocuWare adapter's error tree.

Every error carries the HTTP method, the URL path (never the query, never a header), the
status when there was one and the response body truncated to ``BODY_LIMIT`` characters with
the password and tokens blanked out. Credentials never appear in messages or reprs.

    DocuwareError                     base; a GatewayError (502)
    ├── DocuwareUnavailable           transport failure or retryable status after all tries (503)
    │   ├── DocuwareDeadlineExceeded  the call's overall deadline ran out (or a wait would pass it)
    │   └── DownloadInterrupted       the connection broke mid-body; download again from the start
    ├── DocuwareAuthFailed            credentials refused, or 401 again right after a renewal
    │   └── LicencesExhausted         DocuWare has no free licence for another logon (KBA-36918)
    ├── DocuwareRejected              any other 4xx (not retried)
    │   └── DocuwareNotFound          404
    └── DocuwareProtocolError         answer outside the contract (body, redirect)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from app.errors import GatewayError

BODY_LIMIT = 500
E = TypeVar("E", bound="DocuwareError")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class DocuwareError(GatewayError):
    status = 502
    code = "docuware-error"
    title = "DocuWare request failed"

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
        # Seconds to wait before trying again (a 429 wait past the deadline, a licence block).
        self.retry_after: float | None = None
        self.http_status = http_status
        self.body = body[:BODY_LIMIT]
        where = f"{method} {path}".strip()
        status = f" -> {http_status}" if http_status is not None else ""
        text = f"{detail} ({where}{status})" if where else detail
        super().__init__(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class DocuwareUnavailable(DocuwareError):
    status = 503
    code = "docuware-unavailable"
    title = "DocuWare unavailable"


class DocuwareDeadlineExceeded(DocuwareUnavailable):
    code = "docuware-deadline-exceeded"
    title = "DocuWare call exceeded its deadline"


class DownloadInterrupted(DocuwareUnavailable):
    code = "docuware-download-interrupted"
    title = "DocuWare download broke off; it can be started again"


class DocuwareAuthFailed(DocuwareError):
    code = "docuware-auth-failed"
    title = "DocuWare refused our credentials"


class LicencesExhausted(DocuwareAuthFailed):
    status = 503
    code = "docuware-licences-exhausted"
    title = "DocuWare has no free licence for a logon"


class DocuwareRejected(DocuwareError):
    code = "docuware-rejected"
    title = "DocuWare rejected the request"


class DocuwareNotFound(DocuwareRejected):
    code = "docuware-not-found"
    title = "DocuWare has no such record"


class DocuwareProtocolError(DocuwareError):
    code = "docuware-protocol-error"
    title = "DocuWare answered outside the contract"


# KBA-36918: a logon again within two minutes of a log-off can fail for want of a licence.
LICENCE_BLOCK_SECONDS = 120.0


Answer = tuple[str, str, int, str]  # method, path, status, redacted body


def answered(kind: type[E], detail: str, answer: Answer) -> E:
    method, path, status, body = answer
    return kind(detail, method=method, path=path, http_status=status, body=body)


def failure_for(answer: Answer, *, logon: bool) -> DocuwareError:
    """The error for a final, non-retried answer."""
    status, body = answer[2], answer[3]
    if status < 400:  # redirects are never followed: they could carry the token away
        return answered(DocuwareProtocolError, "unexpected redirect", answer)
    if logon or status == 401:
        if "licen" in body.lower():  # "None of the registered licenses are available"
            error = answered(LicencesExhausted, "no free DocuWare licence", answer)
            error.retry_after = LICENCE_BLOCK_SECONDS
            return error
        return answered(DocuwareAuthFailed, "DocuWare refused the logon", answer)
    if status >= 500:
        return answered(DocuwareUnavailable, "DocuWare server error", answer)
    kind = DocuwareNotFound if status == 404 else DocuwareRejected
    return answered(kind, "DocuWare rejected the request", answer)
