"""The request engine every casavi call goes through.

One long-lived ``httpx.AsyncClient`` (transport injectable for tests), the ``token`` header,
re-authentication on 401, the retry policy of ``retry.py``, bounded concurrency and pacing
(``throttle.py``) and an overall deadline per call. Logs name method, path, status and try;
never headers, query strings or bodies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TypeVar

import httpx
import msgspec

from app.adapters.casavi.auth import TokenManager
from app.adapters.casavi.errors import (
    CasaviAuthFailed,
    CasaviDeadlineExceeded,
    CasaviError,
    CasaviOutcomeUnknown,
    CasaviProtocolError,
    CasaviUnavailable,
    redact,
    rejected_for,
)
from app.adapters.casavi.retry import NOT_SENT_ERRORS, RETRY_STATUSES, UNCERTAIN_STATUSES
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.casavi.throttle import Throttle
from app.adapters.casavi.wire import AuthResponse

log = logging.getLogger(__name__)

T = TypeVar("T")
BodyFactory = Callable[[], AsyncIterator[bytes]]
Params = Mapping[str, str | int | float | bool]


def path_of(url: str | httpx.URL) -> str:
    """The URL's path as sent (ids stay percent-encoded), without the query."""
    return httpx.URL(url).raw_path.decode("ascii").split("?", 1)[0]


def _failure(
    kind: type[CasaviError], detail: str, method: str, path: str, status: int, body: str
) -> CasaviError:
    return kind(detail, method=method, path=path, http_status=status, body=body)


class CasaviHttp:
    def __init__(
        self, config: CasaviClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
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
        self._throttle = Throttle(config.max_concurrency, config.requests_per_second)
        self.tokens = TokenManager(self._authenticate, config.token_refresh_margin_seconds)

    def __repr__(self) -> str:
        return f"CasaviHttp(base_url={self.config.base_url!r})"

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

        ``idempotent=False`` marks a create: a lost answer raises ``CasaviOutcomeUnknown``
        instead of being retried blindly. ``body`` must give a fresh stream on every call, so
        a retry can send it again. With ``stream=True`` the caller reads and closes the body.
        """
        limit = self.config.deadline_seconds if deadline is None else deadline
        deadline_at = asyncio.get_running_loop().time() + limit
        try:
            async with asyncio.timeout_at(deadline_at):
                return await self._call(
                    method,
                    url,
                    params=params,
                    json=json,
                    body=body,
                    headers=headers,
                    idempotent=idempotent,
                    authenticated=True,
                    stream=stream,
                    deadline_at=deadline_at,
                )
        except TimeoutError:
            raise CasaviDeadlineExceeded(
                f"no result within {limit:g}s", method=method, path=path_of(url)
            ) from None

    async def _authenticate(self) -> AuthResponse:
        payload = msgspec.json.encode({"key": self.config.key, "secret": self.config.secret})
        response = await self._call(
            "POST",
            "/v2/authenticate",
            params=None,
            json=payload,
            body=None,
            headers=None,
            idempotent=True,
            authenticated=False,
            stream=False,
            deadline_at=None,
        )
        return self.decode(response, AuthResponse)

    def decode(self, response: httpx.Response, into: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=into)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise CasaviProtocolError(
                f"unexpected body: {exc}",
                method=response.request.method,
                path=path_of(response.request.url),
                http_status=response.status_code,
            ) from None

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: Params | None,
        json: bytes | None,
        body: BodyFactory | None,
        headers: Mapping[str, str] | None,
        idempotent: bool,
        authenticated: bool,
        stream: bool,
        deadline_at: float | None,
    ) -> httpx.Response:
        policy = self.config.retry
        loop = asyncio.get_running_loop()
        path = path_of(url)
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            token, generation = await self.tokens.current() if authenticated else (None, 0)
            request_headers = dict(headers or {})
            if token is not None:
                request_headers["token"] = token
            if json is not None:
                request_headers["Content-Type"] = "application/json"
            content = json if json is not None else (body() if body is not None else None)
            request = self._client.build_request(
                method, url, params=params, content=content, headers=request_headers
            )
            try:
                response = await self._send(request, stream=stream)
            except httpx.TransportError as exc:
                failure = type(exc).__name__
                log.warning("casavi %s %s failed: %s (try %d)", method, path, failure, attempt)
                if not idempotent and not isinstance(exc, NOT_SENT_ERRORS):
                    raise CasaviOutcomeUnknown(
                        f"no answer ({failure})", method=method, path=path
                    ) from exc
                if attempt >= policy.max_attempts:
                    raise CasaviUnavailable(
                        f"{failure} after {attempt} tries", method=method, path=path
                    ) from exc
                await asyncio.sleep(policy.backoff(attempt))
                continue

            status = response.status_code
            log.info("casavi %s %s -> %d (try %d)", method, path, status, attempt)
            if status < 300:
                return response
            text = self._error_text(response)
            await response.aclose()
            if status == 401 and authenticated and not reauthenticated:
                # Token expired or revoked: get a new one (once per call) and try again.
                reauthenticated = True
                attempt -= 1
                await self.tokens.refresh(generation)
                continue
            where = (method, path, status, text)
            if status < 400:  # redirects are never followed: they could carry the token away
                raise _failure(CasaviProtocolError, "unexpected redirect", *where)
            if status == 401:
                raise _failure(CasaviAuthFailed, "casavi refused authentication", *where)
            if status in RETRY_STATUSES:
                if not idempotent and status in UNCERTAIN_STATUSES:
                    raise _failure(CasaviOutcomeUnknown, "gateway error on a create", *where)
                if attempt >= policy.max_attempts:
                    raise _failure(
                        CasaviUnavailable, f"still {status} after {attempt} tries", *where
                    )
                delay = policy.delay_for_status(response, attempt)
                if deadline_at is not None and loop.time() + delay > deadline_at:
                    # Waiting would only end in the deadline: say so now, with the delay,
                    # so the job layer can schedule its own retry after it.
                    error = _failure(
                        CasaviDeadlineExceeded, f"next try in {delay:.3g}s is too late", *where
                    )
                    error.retry_after = delay
                    raise error
                await asyncio.sleep(delay)
                continue
            if status >= 500:
                raise _failure(CasaviUnavailable, "casavi server error", *where)
            raise _failure(rejected_for(status), "casavi rejected the request", *where)

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        async with self._throttle:
            response = await self._client.send(request, stream=True)
            if stream and response.status_code < 400:
                return response
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
            return response

    def _error_text(self, response: httpx.Response) -> str:
        try:
            text = response.content[:2000].decode("utf-8", errors="replace")
        except httpx.ResponseNotRead:
            text = ""
        secrets = (self.config.key, self.config.secret, *self.tokens.secrets)
        return redact(text, secrets)
