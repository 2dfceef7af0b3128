"""Wire Structs for ``openapi/docuware.yaml`` (DocuWare spells its JSON in PascalCase).

Small views: only the fields the gateway reads, new ones always with defaults, unknown ones
ignored. Domain records live in ``records.py``; ``mapping`` functions convert.
"""

from __future__ import annotations

import msgspec

# ``Item`` of an index field: text, number, date text ("/Date(ms)/"), keywords, or null.
FieldItem = str | int | float | bool | dict[str, list[str]] | None


class Link(msgspec.Struct, kw_only=True, rename="pascal"):
    rel: str = msgspec.field(name="rel")
    href: str = msgspec.field(name="href")


class IdentityServiceInfo(msgspec.Struct, kw_only=True, rename="pascal"):
    identity_service_url: str
    refresh_token_supported: bool = False


class OpenIdConfiguration(msgspec.Struct, kw_only=True):
    token_endpoint: str
    issuer: str = ""


class TokenResponse(msgspec.Struct, kw_only=True):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - a token kind, not a secret
    scope: str = ""

    def __repr__(self) -> str:  # never print the token
        return f"TokenResponse(expires_in={self.expires_in}, access_token=***)"


class FileCabinet(msgspec.Struct, kw_only=True, rename="pascal"):
    id: str
    name: str
    is_basket: bool = False
    usable: bool = True


class FileCabinetList(msgspec.Struct, kw_only=True, rename="pascal"):
    file_cabinet: list[FileCabinet]


class Dialog(msgspec.Struct, kw_only=True, rename="pascal"):
    id: str
    display_name: str
    file_cabinet_id: str = ""
    type: str = "Search"
    is_default: bool = False


class DialogList(msgspec.Struct, kw_only=True, rename="pascal"):
    dialog: list[Dialog]


class Condition(msgspec.Struct, kw_only=True, rename="pascal"):
    """One value = match (``*``/``?`` wildcards, ``EMPTY()``/``NOTEMPTY()``); two = range."""

    db_name: str = msgspec.field(name="DBName")
    value: list[str | None]


class DialogExpression(msgspec.Struct, kw_only=True, rename="pascal", omit_defaults=True):
    condition: list[Condition]
    operation: str = "And"
    force_refresh: bool = True


class IndexField(msgspec.Struct, kw_only=True, rename="pascal"):
    field_name: str
    item: FieldItem = None
    item_element_name: str = "String"
    is_null: bool = False
    system_field: bool = False


class Document(msgspec.Struct, kw_only=True, rename="pascal"):
    id: int
    file_cabinet_id: str = ""
    title: str = ""
    content_type: str = "application/octet-stream"
    file_size: int = 0
    created_at: str = ""  # "/Date(ms)/"
    last_modified: str = ""  # "/Date(ms)/"; with the id, the document's fingerprint
    fields: list[IndexField] = msgspec.field(default_factory=list)
    links: list[Link] = msgspec.field(default_factory=list)


class ResultCount(msgspec.Struct, kw_only=True, rename="pascal"):
    value: int = 0
    has_more: bool = False
    exceed_limit: bool = False


class DocumentsQueryResult(msgspec.Struct, kw_only=True, rename="pascal"):
    items: list[Document]
    count: ResultCount = msgspec.field(default_factory=ResultCount)
    links: list[Link] = msgspec.field(default_factory=list)


class ErrorBody(msgspec.Struct, kw_only=True, rename="pascal"):
    message: str = ""
