"""The request engine every DocuWare call goes through.

One long-lived ``httpx.AsyncClient`` (transport injectable for tests), the bearer token of
``auth.py`` with renewal on 401, the retry policy of ``retry.py``, bounded concurrency and an
overall deadline per call. Logs name method, path, status and try; never headers, query
strings, form fields or bodies (the logon form carries the password).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

import httpx
import msgspec

from app.adapters.docuware.auth import TokenManager
from app.adapters.docuware.errors import (
    DocuwareDeadlineExceeded,
    DocuwareProtocolError,
    DocuwareUnavailable,
    LicencesExhausted,
    answered,
    failure_for,
    redact,
)
from app.adapters.docuware.retry import RETRY_STATUSES
from app.adapters.docuware.settings import DocuwareClientConfig
from app.adapters.docuware.wire import IdentityServiceInfo, OpenIdConfiguration, TokenResponse

log = logging.getLogger(__name__)

T = TypeVar("T")
Params = Mapping[str, str | int]
PLATFORM = "/DocuWare/Platform"
# KBA-36918: a logon again within two minutes of a log-off can fail for want of a licence.
LICENCE_BLOCK_SECONDS = 120.0


def path_of(url: str | httpx.URL) -> str:
    return httpx.URL(url).raw_path.decode("ascii").split("?", 1)[0]


class DocuwareHttp:
    def __init__(
        self, config: DocuwareClientConfig, transport: httpx.AsyncBaseTransport | None = None
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
            # A redirect could carry the bearer token to another host; never follow.
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "portal-gateway"},
        )
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._token_endpoint: str | None = None
        self.tokens = TokenManager(self._logon, config.token_refresh_margin_seconds)

    def __repr__(self) -> str:
        return f"DocuwareHttp(base_url={self.config.base_url!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: bytes | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One logical call (all its tries). With ``stream=True`` the caller reads and
        closes the body; the deadline then covers the tries up to the response head."""
        limit = self.config.deadline_seconds
        deadline_at = asyncio.get_running_loop().time() + limit
        try:
            async with asyncio.timeout_at(deadline_at):
                return await self._call(
                    method, url, params=params, json=json, form=None,
                    authenticated=True, stream=stream, deadline_at=deadline_at,
                )  # fmt: skip
        except TimeoutError:
            raise DocuwareDeadlineExceeded(
                f"no result within {limit:g}s", method=method, path=path_of(url)
            ) from None

    def decode(self, response: httpx.Response, into: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=into)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise DocuwareProtocolError(
                f"unexpected body: {exc}",
                method=response.request.method,
                path=path_of(response.request.url),
                http_status=response.status_code,
            ) from None

    async def _get_json(self, url: str, into: type[T]) -> T:
        response = await self._call(
            "GET", url, params=None, json=None, form=None,
            authenticated=False, stream=False, deadline_at=None,
        )  # fmt: skip
        return self.decode(response, into)

    def _checked_url(self, url: str) -> str:
        # The identity service may live on another host (DocuWare Cloud), but the password
        # goes there: never over plain HTTP unless the platform itself is plain HTTP (sandbox).
        if httpx.URL(url).scheme != "https" and self._client.base_url.scheme == "https":
            raise DocuwareProtocolError("identity service offered over plain HTTP", path=url)
        return url

    async def token_endpoint(self) -> str:
        """IdentityServiceInfo -> OpenID configuration -> ``token_endpoint`` (looked up once)."""
        if self._token_endpoint is None:
            info = await self._get_json(f"{PLATFORM}/Home/IdentityServiceInfo", IdentityServiceInfo)
            base = self._checked_url(info.identity_service_url).rstrip("/")
            oidc = await self._get_json(
                f"{base}/.well-known/openid-configuration", OpenIdConfiguration
            )
            self._token_endpoint = self._checked_url(oidc.token_endpoint)
        return self._token_endpoint

    async def _logon(self) -> TokenResponse:
        config = self.config
        form = config.logon_form()
        try:
            response = await self._call(
                "POST", await self.token_endpoint(), params=None, json=None, form=form,
                authenticated=False, stream=False, deadline_at=None,
            )  # fmt: skip
        except LicencesExhausted:
            _tell(config.on_logon, False)
            raise
        _tell(config.on_logon, True)
        return self.decode(response, TokenResponse)

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: Params | None,
        json: bytes | None,
        form: dict[str, str] | None,
        authenticated: bool,
        stream: bool,
        deadline_at: float | None,
    ) -> httpx.Response:
        policy = self.config.retry
        loop = asyncio.get_running_loop()
        path = path_of(url)
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            token, generation = await self.tokens.current() if authenticated else (None, 0)
            headers: dict[str, str] = {}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            if json is not None:
                headers["Content-Type"] = "application/json"
            request = self._client.build_request(
                method, url, params=params, content=json, data=form, headers=headers
            )
            try:
                response = await self._send(request, stream=stream)
            except httpx.TransportError as exc:
                failure = type(exc).__name__
                log.warning("docuware %s %s failed: %s (try %d)", method, path, failure, attempt)
                if attempt >= policy.max_attempts:
                    raise DocuwareUnavailable(
                        f"{failure} after {attempt} tries", method=method, path=path
                    ) from exc
                await asyncio.sleep(policy.backoff(attempt))
                continue

            status = response.status_code
            log.info("docuware %s %s -> %d (try %d)", method, path, status, attempt)
            if status < 300:
                return response
            text = self._error_text(response)
            await response.aclose()
            if status == 401 and authenticated and not renewed:
                # Token expired or revoked: one renewal per call (shared with concurrent callers).
                renewed, attempt = True, attempt - 1
                await self.tokens.refresh(generation)
                continue
            answer = (method, path, status, text)
            if status in RETRY_STATUSES:
                if attempt >= policy.max_attempts:
                    raise answered(
                        DocuwareUnavailable, f"still {status} after {attempt} tries", answer
                    )
                delay = policy.delay_for_status(response, attempt)
                if deadline_at is not None and loop.time() + delay > deadline_at:
                    # Waiting would only end in the deadline: say so now, with the wait, so
                    # the job layer can schedule its own retry after it.
                    error = answered(
                        DocuwareDeadlineExceeded, f"next try in {delay:.3g}s is too late", answer
                    )
                    error.retry_after = delay
                    raise error
                await asyncio.sleep(delay)
                continue
            raise failure_for(answer, logon=form is not None)

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        # The slot bounds requests in flight up to the response head; a streamed body is
        # read after it is released (a long download must not block searches).
        async with self._slots:
            response = await self._client.send(request, stream=True)
            if stream and response.status_code < 300:
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
        return redact(text, (self.config.password, self.config.client_secret, *self.tokens.secrets))


def _tell(listener: Callable[[bool], None] | None, licence_free: bool) -> None:
    if listener is not None:
        try:
            listener(licence_free)
        except Exception:  # a listener never breaks a logon
            log.warning("docuware logon listener failed", exc_info=True)
