"""Secrets at rest: AES-256-GCM with a key from the environment, bound to their row.

``GATEWAY_SECRET_KEY`` holds one or more comma-separated keys (urlsafe base64 of 32 bytes);
the first encrypts, all are tried to decrypt, so keys can be rotated. The associated data is
``system:name``, so a ciphertext copied to another row does not decrypt. Without a key, or
with the wrong one, every operation fails closed: nothing is ever stored in plain text.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import GatewayError

_VERSION = b"\x01"
_NONCE_BYTES = 12

# The secrets one system has, by their API name (camelCase) and storage name.
SECRET_NAMES: dict[str, str] = {
    "casaviApiKey": "casavi_api_key",
    "casaviSecret": "casavi_secret",
    "docuwarePassword": "docuware_password",
    "docuwareClientSecret": "docuware_client_secret",
    "callbackSecret": "callback_secret",
    "docuwareWebhookSecret": "docuware_webhook_secret",
    "ixhausDatabaseUrl": "ixhaus_database_url",
    "alertSmtpPassword": "alert_smtp_password",
    "alertWebhookSecret": "alert_webhook_secret",
}


class SecretsUnavailable(GatewayError):
    status = 503
    code = "secrets-unavailable"
    title = "Secret storage unavailable"


def parse_keys(value: str) -> list[bytes]:
    """Decode ``GATEWAY_SECRET_KEY``; raise ValueError (never showing the key) when invalid."""
    keys = []
    for index, part in enumerate(p.strip() for p in value.split(",")):
        try:
            key = base64.urlsafe_b64decode(part.encode() + b"=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ValueError(
                f"GATEWAY_SECRET_KEY part {index + 1} is not urlsafe base64 of 32 bytes "
                "(create one with `portal-gateway config new-key`)"
            )
        keys.append(key)
    return keys


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class SecretBox:
    def __init__(self, secret_key: str | None) -> None:
        self._keys = parse_keys(secret_key) if secret_key else []

    @property
    def available(self) -> bool:
        return bool(self._keys)

    def encrypt(self, system: str, name: str, plaintext: str) -> bytes:
        if not self._keys:
            raise SecretsUnavailable(
                "GATEWAY_SECRET_KEY is not set, so secrets cannot be stored; nothing was changed."
            )
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._keys[0]).encrypt(nonce, plaintext.encode(), _aad(system, name))
        return _VERSION + nonce + sealed

    def decrypt(self, system: str, name: str, ciphertext: bytes) -> str:
        if not self._keys:
            raise SecretsUnavailable("GATEWAY_SECRET_KEY is not set, so secrets cannot be read.")
        if ciphertext[:1] != _VERSION:
            raise SecretsUnavailable(f"The stored secret {name} has an unknown format.")
        nonce, sealed = ciphertext[1 : 1 + _NONCE_BYTES], ciphertext[1 + _NONCE_BYTES :]
        for key in self._keys:
            try:
                return AESGCM(key).decrypt(nonce, sealed, _aad(system, name)).decode()
            except InvalidTag:
                continue
        raise SecretsUnavailable(
            f"The stored secret {name} cannot be decrypted with GATEWAY_SECRET_KEY (wrong key?)."
        )


def _aad(system: str, name: str) -> bytes:
    return f"{system}:{name}".encode()
