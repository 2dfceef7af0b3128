"""casavi on the HTTP engine (``app/adapters/http/engine.py``): its base URL, its token and
its errors; retries, renewal on 401, deadlines, pacing and logging are the engine's.

casavi tokens: ``POST /v2/authenticate`` with key and secret -> ``{token, expiresAt}``, sent
as the ``token`` header. casavi has no refresh mechanism (documented); a token lives about a
month. We authenticate again ``token_refresh_margin_seconds`` before ``expiresAt`` and when
casavi answers 401.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from app.adapters.casavi.errors import CASAVI_ERRORS
from app.adapters.casavi.settings import CasaviClientConfig
from app.adapters.casavi.wire import AuthResponse
from app.adapters.http.engine import Call, HttpEngine
from app.adapters.http.tokens import Token


class CasaviHttp(HttpEngine[CasaviClientConfig]):
    system = "casavi"
    errors = CASAVI_ERRORS

    async def obtain_token(self) -> Token:
        credentials = {"key": self.config.key, "secret": self.config.secret}
        payload = msgspec.json.encode(credentials)
        response = await self.call(
            Call("POST", "/v2/authenticate", json=payload, authenticated=False, logon=True)
        )
        answer = self.decode(response, AuthResponse)
        lifetime = (answer.expires_at - datetime.now(UTC)).total_seconds()
        return Token(answer.token, lifetime - self.config.token_refresh_margin_seconds)

    def token_header(self, token: str) -> tuple[str, str]:
        return "token", token

    def credentials(self) -> tuple[str, ...]:
        return self.config.key, self.config.secret
