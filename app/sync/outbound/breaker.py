"""The run's breaker: casavi unreachable, or refusing the gateway, stops the whole run.

One breaker per run, across every stage (documents included): ``threshold`` transport
failures in a row (casavi unreachable, 5xx after the client's retries) trip it, and so does
casavi refusing the credentials or the token request failing. It also keeps whether casavi
answered at all: a run none of whose writes went through (or that had none) asks once more
(``probe``) and fails when casavi does not answer that either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.errors import GatewayError

T = TypeVar("T")

# Error codes that mean "casavi refuses us", not "casavi refuses this record".
_REFUSED = frozenset({"casavi-auth-failed"})
_AUTH = "/authenticate"


class CasaviDown(GatewayError):
    """The breaker stopped the run: casavi is unreachable or refuses the gateway."""

    status = 503
    code = "casavi-unavailable"
    title = "casavi unavailable; the run stopped"


def is_transport_failure(exc: BaseException) -> bool:
    """casavi (or the network to it) failed, not the record: casavi's 503-class errors. A
    document's source failing (a file, DocuWare) is that document's problem, not casavi's."""
    return isinstance(exc, GatewayError) and exc.status == 503 and exc.code.startswith("casavi")


def describe(exc: BaseException) -> str:
    """An error as the protocol shows it. Adapter errors carry method, path, status and a
    truncated body - never secrets."""
    body = getattr(exc, "body", "")
    return f"{type(exc).__name__}: {exc}{f': {body}' if body else ''}"[:1000]


class Breaker:
    def __init__(self, threshold: int) -> None:
        self.threshold = max(threshold, 1)
        self.in_a_row = 0
        self.tripped: str | None = None
        # casavi answered at least once (a write went through, or a record was refused).
        self.answered = False

    def success(self) -> None:
        self.in_a_row = 0
        self.answered = True

    def failure(self, exc: BaseException) -> None:
        if self.tripped is not None:
            return  # sends still in flight when it tripped
        if isinstance(exc, GatewayError) and exc.code in _REFUSED:
            self.tripped = f"casavi refused the gateway's credentials: {describe(exc)}"
        elif is_transport_failure(exc):
            if str(getattr(exc, "path", "")).endswith(_AUTH):
                # No token after the client's retries: no call of this run can succeed.
                self.tripped = f"casavi unavailable: cannot authenticate; {describe(exc)}"
                return
            self.in_a_row += 1
            if self.in_a_row >= self.threshold:
                self.tripped = (
                    f"casavi unavailable: {self.in_a_row} calls in a row failed, the run "
                    f"stopped (the next run continues); last: {describe(exc)}"
                )
        else:
            self.in_a_row = 0  # casavi answered: it refused this record only
            self.answered = True

    def check(self) -> None:
        if self.tripped is not None:
            raise CasaviDown(self.tripped)


async def probe(call: Callable[[], Awaitable[T]], breaker: Breaker) -> T:
    """One request outside the records (is casavi empty? do the credentials still work?):
    casavi failing it stops the run, with a reason that names casavi."""
    try:
        result = await call()
    except Exception as exc:
        breaker.failure(exc)
        raise CasaviDown(breaker.tripped or f"casavi unavailable: {describe(exc)}") from exc
    breaker.success()
    return result
