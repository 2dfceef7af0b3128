"""One error tree for the gateway, translated to RFC 9457 problem details at the edge.

Services raise these; only ``app.api.problems`` turns them into HTTP responses::

    GatewayError (500)
    ├── InvalidInput (422)          a body or setting that breaks a rule; names each field
    ├── NotFound (404)
    ├── Conflict (409)
    ├── SyncNotPossible (409)       a system switched off (C12) or not configured
    ├── Unauthenticated (401)
    ├── Forbidden (403)
    ├── MalformedRequest (400)      control characters, JSON too deep, not a callback envelope
    ├── UnsupportedMediaType (415)
    ├── TooManyRequests (429)       failed authentications per client (with Retry-After)
    ├── DependencyUnavailable (503) database, Redis, the key for secrets...
    └── HttpError                   app/adapters/http/errors.py: method, path, status, body;
        │                           its kinds: Unavailable (503; DeadlineExceeded,
        │                           OutcomeUnknown), AuthFailed, Rejected (NotFound, Conflict),
        │                           ProtocolError
        ├── DocuwareError           app/adapters/docuware/errors.py: each class also of its kind
        │   ├── DocuwareUnavailable     ├── DocuwareDeadlineExceeded, DownloadInterrupted
        │   ├── DocuwareAuthFailed      └── LicencesExhausted
        │   ├── DocuwareRejected        └── DocuwareNotFound
        │   └── DocuwareProtocolError
        └── CasaviError             app/adapters/casavi/errors.py: each class also of its kind
            ├── CasaviUnavailable       (transport, 5xx, 429 after retries)
            │   ├── CasaviDeadlineExceeded
            │   └── CasaviOutcomeUnknown
            ├── CasaviAuthFailed
            ├── CasaviRejected (4xx)
            │   ├── CasaviNotFound
            │   └── CasaviConflict
            ├── CasaviProtocolError
            ├── DocumentTooLarge
            └── NotInContract

Adapter subtrees hang from ``GatewayError`` so one handler serves them all; they carry what
failed, never a secret. (``app.sync.inbound.errors.Park`` is no error of the API: it tells the
inbox to park an event with its reason.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        # (field, message) pairs naming exactly what was wrong; shown in the problem body.
        self.errors = list(errors)


class InvalidInput(GatewayError):
    status = 422
    code = "invalid-input"
    title = "Invalid input"


class NotFound(GatewayError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(GatewayError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unauthenticated(GatewayError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class DependencyUnavailable(GatewayError):
    """A server the gateway depends on (database, Redis, casavi...) is not answering."""

    status = 503
    code = "dependency-unavailable"
    title = "Dependency unavailable"


class SyncNotPossible(GatewayError):
    """A system cannot be synchronised as configured (switched off, settings missing)."""

    status = 409
    code = "sync-not-possible"
    title = "Sync not possible"


class MalformedRequest(GatewayError):
    """The request itself is unusable: control characters in its path, JSON nested too deep,
    a body that is not what the endpoint takes (e.g. a callback envelope)."""

    status = 400
    code = "bad-request"
    title = "Bad Request"


class UnsupportedMediaType(GatewayError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported Media Type"


class TooManyRequests(GatewayError):
    status = 429
    code = "too-many-requests"
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
