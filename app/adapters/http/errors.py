"""The error tree every HTTP client of the gateway raises, and how a system hangs its own on it.

Every error carries the HTTP method, the URL path (never the query, never a header), the status
when there was one and the response body truncated to ``BODY_LIMIT`` characters with known
secrets blanked out. Credentials and tokens never appear in messages or reprs.

    HttpError                  base; a GatewayError (502)
    ├── Unavailable            transport failure or retryable status after all tries (503)
    │   ├── DeadlineExceeded   the call's overall deadline ran out (or a wait would pass it)
    │   └── OutcomeUnknown     a non-idempotent request may have been applied (lost answer)
    ├── AuthFailed             credentials refused, or 401 again right after a renewal
    ├── Rejected               any other 4xx (not retried)
    │   ├── NotFound           404
    │   └── Conflict           409
    └── ProtocolError          answer outside the contract (body, redirect)

A system declares one subclass per kind it has, naming its base first and the kind second
(``class CasaviNotFound(CasaviRejected, NotFound)``), so ``except CasaviNotFound`` and
``except NotFound`` both catch it. ``code`` and ``title`` follow from the system's name and the
kind ("casavi-not-found", "casavi has no such record") unless a class states its own.
``ErrorFamily`` tells the engine which of a system's classes to raise for a kind; a kind the
system has no class for falls back to its nearest ancestor (a DocuWare 409 is a
``DocuwareRejected``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple, TypeVar

from app.errors import GatewayError

BODY_LIMIT = 500
E = TypeVar("E", bound="HttpError")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class Answer(NamedTuple):
    """A final non-2xx answer: what an error is built from (the body already redacted)."""

    method: str
    path: str
    status: int
    body: str


class HttpError(GatewayError):
    status = 502
    system: ClassVar[str] = "upstream"  # the display name: "casavi", "DocuWare"
    kind: ClassVar[str] = "error"  # the code's second half
    template: ClassVar[str] = "{system} request failed"  # the title

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = f"{cls.system.lower()}-{cls.kind}"
        if "title" not in cls.__dict__:
            cls.title = cls.template.format(system=cls.system)

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

    @classmethod
    def answered(cls: type[E], detail: str, answer: Answer) -> E:
        method, path, status, body = answer
        return cls(detail, method=method, path=path, http_status=status, body=body)


class Unavailable(HttpError):
    status = 503
    kind = "unavailable"
    template = "{system} unavailable"


class DeadlineExceeded(Unavailable):
    kind = "deadline-exceeded"
    template = "{system} call exceeded its deadline"


class OutcomeUnknown(Unavailable):
    kind = "outcome-unknown"
    template = "{system} may have applied the request"


class AuthFailed(HttpError):
    kind = "auth-failed"
    template = "{system} refused our credentials"


class Rejected(HttpError):
    kind = "rejected"
    template = "{system} rejected the request"


class NotFound(Rejected):
    kind = "not-found"
    template = "{system} has no such record"


class Conflict(Rejected):
    kind = "conflict"
    template = "{system} already has this record"


class ProtocolError(HttpError):
    kind = "protocol-error"
    template = "{system} answered outside the contract"


KINDS = (
    HttpError,
    Unavailable,
    DeadlineExceeded,
    OutcomeUnknown,
    AuthFailed,
    Rejected,
    NotFound,
    Conflict,
    ProtocolError,
)


def rejected_for(status: int) -> type[Rejected]:
    return {404: NotFound, 409: Conflict}.get(status, Rejected)


class ErrorFamily:
    """One system's classes, found under its base: each class that names a kind of this
    module among its own bases stands for that kind."""

    def __init__(self, base: type[HttpError]) -> None:
        self._classes: dict[type[HttpError], type[HttpError]] = {HttpError: base}
        pending = [base]
        while pending:
            cls = pending.pop()
            pending.extend(cls.__subclasses__())
            for kind in cls.__bases__:
                if kind in KINDS and kind is not HttpError:
                    self._classes[kind] = cls

    def of(self, kind: type[HttpError]) -> type[HttpError]:
        """The system's class for ``kind``, or for its nearest ancestor."""
        return next(self._classes[k] for k in kind.__mro__ if k in self._classes)
