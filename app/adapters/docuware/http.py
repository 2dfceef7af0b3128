"""DocuWare on the HTTP engine (``app/adapters/http/engine.py``): its base URL, its logon and
its errors; retries, renewal on 401, deadlines, throttling and logging are the engine's.

Logon: IdentityServiceInfo -> OpenID configuration -> ``token_endpoint`` (looked up once per
client), then the token request with the grant's form (``DocuwareClientConfig.logon_form``),
sent as a bearer token. Every logon books a licence (KBA-36918) and Cloud throttles logons
(KBA-36385), so a client logs on once and keeps the token for its lifetime (60 minutes,
``expires_in``), renewed ``token_refresh_margin_seconds`` before its end (never earlier than
half of it, or a short-lived token would mean a logon per call) and on 401.

Retries are the engine's rules, for DocuWare's reasons: every call we make is a read (searches
are POSTs but change nothing), so a lost answer is always safe to ask for again; 429 is not
processed and must be sent again (KBA-36385); DocuWare's own retry sample retries exactly 502,
503 and 504 (DotNet-Retry-Example). A refused logon is never retried: it would only book more
licences.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import httpx

from app.adapters.docuware.errors import (
    DOCUWARE_ERRORS,
    DocuwareProtocolError,
    LicencesExhausted,
    refusal,
)
from app.adapters.docuware.settings import DocuwareClientConfig
from app.adapters.docuware.wire import IdentityServiceInfo, OpenIdConfiguration, TokenResponse
from app.adapters.http.engine import Call, HttpEngine
from app.adapters.http.errors import Answer, HttpError
from app.adapters.http.tokens import Token

log = logging.getLogger(__name__)

T = TypeVar("T")
PLATFORM = "/DocuWare/Platform"


class DocuwareHttp(HttpEngine[DocuwareClientConfig]):
    system = "DocuWare"
    errors = DOCUWARE_ERRORS
    _token_endpoint: str | None = None  # looked up on the first logon

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

    async def obtain_token(self) -> Token:
        form = self.config.logon_form()
        call = Call("POST", await self.token_endpoint(), form=form, authenticated=False, logon=True)
        try:
            response = await self.call(call)
        except LicencesExhausted:
            _tell(self.config.on_logon, False)
            raise
        _tell(self.config.on_logon, True)
        answer = self.decode(response, TokenResponse)
        early = min(self.config.token_refresh_margin_seconds, answer.expires_in / 2)
        return Token(answer.access_token, answer.expires_in - early)

    def token_header(self, token: str) -> tuple[str, str]:
        return "Authorization", f"Bearer {token}"

    def credentials(self) -> tuple[str, ...]:
        return self.config.password, self.config.client_secret

    def refusal(self, answer: Answer, *, logon: bool) -> HttpError | None:
        return refusal(answer, logon=logon)

    async def _get_json(self, url: str, into: type[T]) -> T:
        response = await self.call(Call("GET", url, authenticated=False))
        return self.decode(response, into)

    def _checked_url(self, url: str) -> str:
        # The identity service may live on another host (DocuWare Cloud), but the password
        # goes there: never over plain HTTP unless the platform itself is plain HTTP (sandbox).
        if httpx.URL(url).scheme != "https" and self.base_url.scheme == "https":
            raise DocuwareProtocolError("identity service offered over plain HTTP", path=url)
        return url


def _tell(listener: Callable[[bool], None] | None, licence_free: bool) -> None:
    if listener is not None:
        try:
            listener(licence_free)
        except Exception:  # a listener never breaks a logon
            log.warning("docuware logon listener failed", exc_info=True)
