"""The request engine every call to casavi and DocuWare goes through.

One long-lived ``httpx.AsyncClient`` per system (transport injectable for tests, redirects never
followed, timeouts always on), a token obtained once and renewed on 401 under one lock
(``tokens.py``), the retry policy of ``retry.py``, bounded concurrency and pacing
(``throttle.py``) and an overall deadline per call. Logs name system, method, path, status and
try; never headers, query strings, form fields or bodies (they carry credentials and personal
data).

A system is a subclass that states only what is its own: its configuration (a subclass of
``HttpClientConfig``), ``system`` (its name in logs and errors), ``errors`` (its error
family), how it obtains a token and sends it (``obtain_token``, ``token_header``), which
credentials to blank out of error bodies (``credentials``) and, where its wire says more than
the status, ``refusal``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import httpx
import msgspec

from app.adapters.http.clock import SYSTEM_CLOCK, Clock
from app.adapters.http.errors import (
    Answer,
    AuthFailed,
    DeadlineExceeded,
    ErrorFamily,
    HttpError,
    OutcomeUnknown,
    ProtocolError,
    Unavailable,
    redact,
    rejected_for,
)
from app.adapters.http.retry import NOT_SENT_ERRORS, RETRY_STATUSES, UNCERTAIN_STATUSES
from app.adapters.http.settings import HttpClientConfig
from app.adapters.http.throttle import Throttle
from app.adapters.http.tokens import Token, TokenManager

T = TypeVar("T")
C = TypeVar("C", bound=HttpClientConfig)
BodyFactory = Callable[[], AsyncGenerator[bytes, None]]
Params = Mapping[str, str | int | float | bool]
ERROR_TEXT_LIMIT = 2000


# httpx logs every request's full URL, query included, at INFO; the engine logs its own line
# without the query (ids and filters there may be personal), so httpx's is kept to warnings
# unless someone configured it on purpose.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)


def path_of(url: str | httpx.URL) -> str:
    """The URL's path as sent (ids stay percent-encoded), without the query."""
    return httpx.URL(url).raw_path.decode("ascii").split("?", 1)[0]


@dataclass(frozen=True, slots=True)
class Call:
    """One logical call: what is sent on every try."""

    method: str
    url: str
    params: Params | None = None
    json: bytes | None = None
    body: BodyFactory | None = None  # gives a fresh stream on every try
    form: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    idempotent: bool = True
    authenticated: bool = True
    logon: bool = False  # the token request itself (its refusal is an ``AuthFailed``)
    stream: bool = False
    deadline_at: float | None = None  # on the event loop's clock


@functools.cache
def verified_tls() -> ssl.SSLContext:
    """One certificate-verifying TLS context per process (httpx's default: certifi's bundle, or
    SSL_CERT_FILE/SSL_CERT_DIR). Building one loads the CA bundle, which cost about 9 % of a
    sync run's CPU when every run's client built its own."""
    return httpx.create_ssl_context()


class HttpEngine(ABC, Generic[C]):
    system: ClassVar[str]
    errors: ClassVar[ErrorFamily]

    def __init__(
        self,
        config: C,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.config = config
        self.clock = clock
        # The system's own logger ("app.adapters.casavi.http"): operators filter by system.
        self.log = logging.getLogger(type(self).__module__)
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            verify=verified_tls(),
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.write_timeout,
                pool=config.pool_timeout,
            ),
            # A redirect could carry our token to another host (OWASP API10); never follow.
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "portal-gateway"},
        )
        self._throttle = Throttle(config.max_concurrency, config.requests_per_second, clock)
        self.tokens = TokenManager(self.obtain_token, clock)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r})"

    # ------------------------------------------------------------ what a system states
    @abstractmethod
    async def obtain_token(self) -> Token:
        """A fresh token from the system (its logon call)."""

    @abstractmethod
    def token_header(self, token: str) -> tuple[str, str]:
        """The header that carries ``token`` on a call."""

    def credentials(self) -> tuple[str, ...]:
        """Secrets of the configuration, blanked out of every error body."""
        return ()

    def refusal(self, answer: Answer, *, logon: bool) -> HttpError | None:
        """The error when a final answer means the credentials were refused."""
        if answer.status != 401:
            return None
        return self.errors.of(AuthFailed).answered(f"{self.system} refused authentication", answer)

    # ------------------------------------------------------------ calls
    @property
    def base_url(self) -> httpx.URL:
        return self._client.base_url

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: bytes | None = None,
        body: BodyFactory | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        deadline: float | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one logical call (all its tries) and return the successful response.

        ``idempotent=False`` marks a create: a lost answer raises ``OutcomeUnknown`` instead of
        being retried blindly. With ``stream=True`` the caller reads and closes the body; the
        deadline then covers the tries up to the response head.
        """
        limit = self.config.deadline_seconds if deadline is None else deadline
        deadline_at = asyncio.get_running_loop().time() + limit
        call = Call(
            method, url, params=params, json=json, body=body, headers=headers,
            idempotent=idempotent, stream=stream, deadline_at=deadline_at,
        )  # fmt: skip
        try:
            async with asyncio.timeout_at(deadline_at):
                return await self.call(call)
        except TimeoutError:
            raise self.errors.of(DeadlineExceeded)(
                f"no result within {limit:g}s", method=method, path=path_of(url)
            ) from None

    async def call(self, call: Call) -> httpx.Response:
        """``call`` with all its tries. A system's own requests (its logon) start here: they
        run under the deadline of the call that needed them."""
        path = path_of(call.url)
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            token, generation = await self.tokens.current() if call.authenticated else (None, 0)
            body = call.body() if call.body else None
            try:
                response = await self._send(self._build(call, token, body), stream=call.stream)
            except httpx.TransportError as exc:
                await self._after_transport_error(call, exc, attempt)
                continue
            finally:
                if body is not None:
                    # A try cut short (a transport error, a cancelled run) leaves its body
                    # where httpx stopped reading: closed now, with what it holds open (a
                    # file), not whenever the garbage collector finds it.
                    await body.aclose()
            status = response.status_code
            self.log.info(
                "%s %s %s -> %d (try %d)", self.system, call.method, path, status, attempt
            )
            if status < 300:
                return response
            answer = await self._answer(call, response)
            if status == 401 and call.authenticated and not renewed:
                # Token expired or revoked: one renewal per call (shared with concurrent callers).
                renewed, attempt = True, attempt - 1
                await self.tokens.refresh(generation)
                continue
            if status not in RETRY_STATUSES:
                raise self._final(answer, logon=call.logon)
            await self.clock.sleep(self._delay(call, answer, response, attempt))

    def decode(self, response: httpx.Response, into: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=into)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise self.errors.of(ProtocolError)(
                f"unexpected body: {exc}",
                method=response.request.method,
                path=path_of(response.request.url),
                http_status=response.status_code,
            ) from None

    # ------------------------------------------------------------ one try
    def _build(
        self, call: Call, token: str | None, body: AsyncGenerator[bytes, None] | None
    ) -> httpx.Request:
        headers = dict(call.headers or {})
        if token is not None:
            name, value = self.token_header(token)
            headers[name] = value
        if call.json is not None:
            headers["Content-Type"] = "application/json"
        content = call.json if call.json is not None else body
        return self._client.build_request(
            call.method, call.url, params=call.params, content=content, data=call.form,
            headers=headers,
        )  # fmt: skip

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        # The slot bounds requests in flight up to the response head; a streamed body is
        # read after it is released (a long download must not block other calls).
        async with self._throttle:
            response = await self._client.send(request, stream=True)
            if stream and response.status_code < 300:
                return response
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
            return response

    async def _after_transport_error(
        self, call: Call, exc: httpx.TransportError, attempt: int
    ) -> None:
        """Wait before the next try, or raise when there is none."""
        failure, path = type(exc).__name__, path_of(call.url)
        self.log.warning(
            "%s %s %s failed: %s (try %d)", self.system, call.method, path, failure, attempt
        )
        if not call.idempotent and not isinstance(exc, NOT_SENT_ERRORS):
            raise self.errors.of(OutcomeUnknown)(
                f"no answer ({failure})", method=call.method, path=path
            ) from exc
        if attempt >= self.config.retry.max_attempts:
            raise self.errors.of(Unavailable)(
                f"{failure} after {attempt} tries", method=call.method, path=path
            ) from exc
        await self.clock.sleep(self.config.retry.backoff(attempt))

    async def _answer(self, call: Call, response: httpx.Response) -> Answer:
        try:
            text = response.content[:ERROR_TEXT_LIMIT].decode("utf-8", errors="replace")
        except httpx.ResponseNotRead:
            text = ""
        await response.aclose()
        body = redact(text, (*self.credentials(), *self.tokens.secrets))
        return Answer(call.method, path_of(call.url), response.status_code, body)

    def _delay(self, call: Call, answer: Answer, response: httpx.Response, attempt: int) -> float:
        """The wait before retrying a retryable status, or the error when there is none."""
        status = answer.status
        if not call.idempotent and status in UNCERTAIN_STATUSES:
            raise self.errors.of(OutcomeUnknown).answered("gateway error on a create", answer)
        if attempt >= self.config.retry.max_attempts:
            detail = f"still {status} after {attempt} tries"
            raise self.errors.of(Unavailable).answered(detail, answer)
        delay = self.config.retry.delay_for_status(response, attempt)
        loop = asyncio.get_running_loop()
        if call.deadline_at is not None and loop.time() + delay > call.deadline_at:
            # Waiting would only end in the deadline: say so now, with the wait, so the job
            # layer can schedule its own retry after it.
            error = self.errors.of(DeadlineExceeded).answered(
                f"next try in {delay:.3g}s is too late", answer
            )
            error.retry_after = delay
            raise error
        return delay

    def _final(self, answer: Answer, *, logon: bool) -> HttpError:
        """The error for a final answer that is not retried."""
        if answer.status < 400:  # redirects are never followed: they could carry the token away
            return self.errors.of(ProtocolError).answered("unexpected redirect", answer)
        refused = self.refusal(answer, logon=logon)
        if refused is not None:
            return refused
        if answer.status >= 500:
            return self.errors.of(Unavailable).answered(f"{self.system} server error", answer)
        kind = self.errors.of(rejected_for(answer.status))
        return kind.answered(f"{self.system} rejected the request", answer)
