"""API keys for the gateway's own API: issued once, stored as a SHA-256 hash, revocable.

Keys are 256-bit random tokens, so a plain SHA-256 (no slow KDF) is the right hash: there is
nothing to brute-force, and a lookup by hash stays one indexed query per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.adapters.store.base import utcnow
from app.adapters.store.database import read_connection
from app.adapters.store.models import ApiKey
from app.errors import Conflict, InvalidInput, NotFound

Scope = Literal["ixhaus", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
KEY_PREFIX = "pgw"
# A key's name: 1 to 128 characters, no control characters (names reach logs and paths).
KEY_NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]{1,128}$"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh key and its public prefix (shown in listings to tell keys apart)."""
    prefix = secrets.token_hex(4)
    return f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def scope_allows(granted: str, required: str) -> bool:
    """``admin`` keys may call every operation; ``ixhaus`` keys only the iX-Haus plus ones."""
    return granted == required or granted == "admin"


async def active_key(engine: AsyncEngine, key_hash: str) -> tuple[str, str] | None:
    """(name, scope) of the unrevoked key with this hash: the API's per-request check, one
    indexed SELECT on a pooled connection without an ORM session."""
    query = select(ApiKey.name, ApiKey.scope).where(
        ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None)
    )
    async with read_connection(engine) as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else (row[0], row[1])


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, name: str, scope: str) -> tuple[ApiKey, str]:
        """Store a new key; return the row and the plaintext key (shown once, never stored)."""
        name = name.strip()
        if not re.fullmatch(KEY_NAME_PATTERN, name):
            raise InvalidInput(
                "The key name must be 1 to 128 characters, without control characters."
            )
        if scope not in SCOPES:
            raise InvalidInput(f"Unknown scope {scope!r}; use one of {', '.join(SCOPES)}.")
        if await self._by_name(name) is not None:
            raise Conflict(f"An API key named {name!r} exists already.")
        key, prefix = new_key()
        row = ApiKey(name=name, scope=scope, prefix=prefix, key_hash=hash_key(key))
        self._session.add(row)
        await self._session.flush()
        return row, key

    async def list(self) -> list[ApiKey]:
        result = await self._session.scalars(select(ApiKey).order_by(ApiKey.id))
        return list(result)

    async def revoke(self, name: str) -> ApiKey:
        row = await self._by_name(name)
        if row is None:
            raise NotFound(f"No API key named {name!r}.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return row

    async def find_active(self, key: str) -> ApiKey | None:
        row = await self._session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
        if row is None or row.revoked_at is not None:
            return None
        return row

    async def active_by_name(self, name: str) -> ApiKey | None:
        """The key named ``name`` unless it is revoked (the console re-checks its session's key
        on every request, so a revocation ends the session at once)."""
        row = await self._by_name(name)
        return None if row is None or row.revoked_at is not None else row

    async def _by_name(self, name: str) -> ApiKey | None:
        return await self._session.scalar(select(ApiKey).where(ApiKey.name == name))
