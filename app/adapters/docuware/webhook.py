"""Verifying DocuWare webhooks (DocuWare 7.5+: "new document stored", "index data changed").

Documented (KBA-37955, knowledgecenter.docuware.com/docs/webhooks): from 7.10 every webhook
carries ``x-docuware-signature``, an HMAC-SHA512 keyed with the organisation passphrase over
the *minimised* JSON body; the body is JSON of the cabinet's index fields by DB name (table
fields are not sent) and may be edited by the administrator.
Inferred (third-party samples such as kc-yoda/docuware-webhooks; DocuWare's own
Webhook-examples do not check signatures): the digest is sent as lower-case hex, the key and
body are UTF-8. We therefore compare against the raw body first and, because an edited body
template may contain whitespace, against the body with whitespace outside strings removed
(a lexical minimiser: numbers and escapes stay byte for byte, no re-serialisation).
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec

SIGNATURE_HEADER = "x-docuware-signature"
_HEX = frozenset("0123456789abcdef")
_DIGEST_HEX_LENGTH = hashlib.sha512().digest_size * 2


class DocuwareNotification(msgspec.Struct, kw_only=True):
    """The default webhook body: index fields by DB name; these are the system fields the
    gateway needs. The cabinet is known from the webhook's URL (one webhook per cabinet)."""

    document_id: int = msgspec.field(name="DWDOCID")
    stored_at: str | None = msgspec.field(default=None, name="DWSTOREDATETIME")
    extension: str | None = msgspec.field(default=None, name="DWEXTENSION")


def sign(secret: bytes, body: bytes) -> str:
    """The header value DocuWare would send for ``body`` (used by the simulator)."""
    return hmac.new(secret, minimise(body), hashlib.sha512).hexdigest()


def minimise(body: bytes) -> bytes:
    """``body`` without JSON whitespace outside strings (bytes inside strings untouched)."""
    out = bytearray()
    in_string = escaped = False
    for byte in body:
        if in_string:
            out.append(byte)
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte in b" \t\r\n":
            continue
        else:
            out.append(byte)
            in_string = byte == 0x22
    return bytes(out)


def verify_docuware_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """True only if ``header`` is DocuWare's signature of ``body`` under ``secret``.

    Never raises: a missing, malformed or forged header is simply False. Constant-time."""
    if not header or not secret:
        return False
    given = header.strip().lower()
    if len(given) != _DIGEST_HEX_LENGTH or not set(given) <= _HEX:
        return False
    raw = hmac.new(secret, body, hashlib.sha512).hexdigest()
    if hmac.compare_digest(raw, given):
        return True
    compact = minimise(body)
    if compact == body:
        return False
    return hmac.compare_digest(hmac.new(secret, compact, hashlib.sha512).hexdigest(), given)


def decode_notification(body: bytes) -> DocuwareNotification:
    """The notification's system fields; raises ``msgspec.ValidationError``/``DecodeError``."""
    return msgspec.json.decode(body, type=DocuwareNotification)
